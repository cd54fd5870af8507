import { adoptionMismatches, describeMismatches, lookUpBeforeCreate } from '../../src/decisions/adoption';

describe('adopting a resource found under the run name: what counts as the same', () => {
  it.each(['modelType', 'datasetId', 'checkpointId', 'modelId', 'modelPath'] as const)(
    '%s: another value is a difference; the same, or one side silent, is not',
    (field) => {
      expect(adoptionMismatches({ [field]: 'x1' }, { [field]: 'x2' })).toEqual([
        { field, asked: 'x1', found: 'x2' },
      ]);
      expect(adoptionMismatches({ [field]: 'x1' }, { [field]: 'x1' })).toEqual([]);
      expect(adoptionMismatches({ [field]: 'x1' }, {})).toEqual([]);
      expect(adoptionMismatches({}, { [field]: 'x2' })).toEqual([]);
    },
  );

  it.each([
    ['a100', 'NVIDIA A100', true],
    ['NVIDIA A100', 'a100', true],
    ['A-100', 'a100', true],
    ['a100', 'A100', true],
    ['h100', 'NVIDIA A100', false],
    ['a100', 'A100-80GB', false],
    ['a10', 'a100', false],
  ])('GPU %j asked, %j found: the same GPU is %s', (asked, found, same) => {
    expect(adoptionMismatches({ gpuType: asked }, { gpuType: found })).toEqual(
      same ? [] : [{ field: 'gpuType', asked, found }],
    );
  });

  it('a GPU one side does not report is not compared', () => {
    expect(adoptionMismatches({ gpuType: 'a100' }, {})).toEqual([]);
    expect(adoptionMismatches({}, { gpuType: 'h100' })).toEqual([]);
  });

  it('config: every key asked must be found equal, at any depth; keys the provider added do not matter', () => {
    const asked = { training: { epochs: 3, lr: 1e-4 }, strategy: 'lora', seed: undefined };
    expect(
      adoptionMismatches(
        { config: asked },
        { config: { training: { epochs: 3, lr: 1e-4, warmup: 10 }, strategy: 'lora', x: 1 } },
      ),
    ).toEqual([]);
    expect(
      adoptionMismatches(
        { config: asked },
        { config: { training: { epochs: 4, lr: 1e-4 }, strategy: 'full' } },
      ),
    ).toEqual([
      { field: 'config.training.epochs', asked: '3', found: '4' },
      { field: 'config.strategy', asked: '"lora"', found: '"full"' },
    ]);
    // A number is not its text; an object is not a scalar.
    expect(adoptionMismatches({ config: { epochs: 3 } }, { config: { epochs: '3' } })).toEqual([
      { field: 'config.epochs', asked: '3', found: '"3"' },
    ]);
    expect(adoptionMismatches({ config: { training: { epochs: 3 } } }, { config: { training: 3 } })).toEqual([
      { field: 'config.training', asked: '{"epochs":3}', found: '3' },
    ]);
    expect(adoptionMismatches({ config: { a: null } }, { config: { a: {} } })).toEqual([
      { field: 'config.a', asked: 'null', found: '{}' },
    ]);
    // NaN equals itself here: the same value asked and found.
    expect(adoptionMismatches({ config: { a: Number.NaN } }, { config: { a: Number.NaN } })).toEqual([]);
    expect(adoptionMismatches({ config: { a: 1 } }, {})).toEqual([]);
    // A config the run did not ask about is not compared: asking for nothing matches whatever was found.
    expect(adoptionMismatches({ modelType: 'llm' }, { modelType: 'llm', config: { lr: 1e-4 } })).toEqual([]);
    // A key left undefined was not asked: the provider's own choice for it is no difference.
    expect(
      adoptionMismatches({ config: { epochs: 3, seed: undefined } }, { config: { epochs: 3, seed: 1234 } }),
    ).toEqual([]);
  });

  it('config arrays: element by element when the lengths agree, else the whole array', () => {
    expect(adoptionMismatches({ config: { m: ['q', 'v'] } }, { config: { m: ['q', 'v'] } })).toEqual([]);
    expect(adoptionMismatches({ config: { m: ['q'] } }, { config: { m: ['q', 'k'] } })).toEqual([
      { field: 'config.m', asked: '["q"]', found: '["q","k"]' },
    ]);
    expect(adoptionMismatches({ config: { m: [] } }, { config: { m: {} } })).toEqual([
      { field: 'config.m', asked: '[]', found: '{}' },
    ]);
  });

  it('a long value is shown cut to 60 characters; one of exactly 60 whole', () => {
    const sixty = 'x'.repeat(58); // 58 + two quotes
    expect(adoptionMismatches({ config: { a: sixty } }, { config: { a: 'y' } })).toEqual([
      { field: 'config.a', asked: JSON.stringify(sixty), found: '"y"' },
    ]);
    const [m] = adoptionMismatches({ config: { a: `${sixty}z` } }, { config: { a: 'y' } });
    expect(m.asked).toBe(`"${'x'.repeat(56)}...`);
    expect(m.asked).toHaveLength(60);
  });

  it('every difference in one line, in order; none is an empty line', () => {
    expect(
      describeMismatches([
        { field: 'datasetId', asked: 'a', found: 'b' },
        { field: 'gpuType', asked: 'h100', found: 'a100' },
      ]),
    ).toBe('datasetId: asked a, found b; gpuType: asked h100, found a100');
    expect(describeMismatches([])).toBe('');
  });
});

describe('when a create looks for what an earlier attempt made', () => {
  it('a run-named first attempt creates straight away; any retry looks first', () => {
    expect(lookUpBeforeCreate(1, true)).toBe(false);
    expect(lookUpBeforeCreate(2, true)).toBe(true);
    expect(lookUpBeforeCreate(7, true)).toBe(true);
  });
  it('a name without the run is looked up even on the first attempt (an earlier run may have used it)', () => {
    expect(lookUpBeforeCreate(1, false)).toBe(true);
    expect(lookUpBeforeCreate(2, false)).toBe(true);
  });
});
