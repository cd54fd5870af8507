import { listingComplete, pinOwnershipRefusal } from '../../src/decisions/pin-ownership';

describe('whose checkpoint a pin may take', () => {
  it('found in the job’s own list: pinned, whatever else the list showed', () => {
    expect(pinOwnershipRefusal('j1', 'c1', { found: true, seen: 1, totalCount: 1 })).toBeUndefined();
    expect(pinOwnershipRefusal('j1', 'c1', { found: true, seen: 100, totalCount: 250 })).toBeUndefined();
  });

  it('not among every checkpoint of the job (all pages, or none at all): refused, saying it is not the job’s and what to do', () => {
    expect(pinOwnershipRefusal('j1', 'ckpt_other_e9', { found: false, seen: 130, totalCount: 130 })).toBe(
      "checkpoint ckpt_other_e9 is not one of the 130 checkpoints of job j1 (every page of its list): it belongs to another job, was deleted, or never existed; pin one of job j1's checkpoints",
    );
    expect(pinOwnershipRefusal('j1', 'c1', { found: false, seen: 0, totalCount: 0 })).toMatch(
      /^checkpoint c1 is not one of the 0 checkpoints of job j1/,
    );
  });

  it('not among some of them (a page short, a count that is not a number): the owner cannot be known, refused', () => {
    expect(pinOwnershipRefusal('j1', 'c1', { found: false, seen: 200, totalCount: 201 })).toBe(
      'cannot tell whether checkpoint c1 belongs to job j1: its list showed 200 of the 201 checkpoints it counts and not this one; not pinned (try again once the pipeline has listed them all, after choosing its candidate)',
    );
    expect(pinOwnershipRefusal('j1', 'c1', { found: false, seen: 5, totalCount: NaN })).toMatch(
      /^cannot tell whether checkpoint c1 belongs to job j1/,
    );
  });

  it('a listing is complete when it saw as many as the provider counts, or more', () => {
    expect(listingComplete({ seen: 100, totalCount: 100 })).toBe(true);
    expect(listingComplete({ seen: 101, totalCount: 100 })).toBe(true);
    expect(listingComplete({ seen: 99, totalCount: 100 })).toBe(false);
    expect(listingComplete({ seen: 0, totalCount: NaN })).toBe(false);
  });
});
