/**
 * Reads values out of a workflow history's payloads the way the worker wrote them: the payload codecs
 * undone (last applied, first undone), then the default payload converter. Public SDK API only.
 */
import { defaultPayloadConverter, type DataConverter, type Payload } from '@temporalio/common';
import { dataConverterFromEnv } from '../config/temporal-connection';

export interface PayloadReader {
  /** The first of `payloads`, decoded; undefined when there is none. */
  first<T>(payloads: Payload[] | null | undefined): Promise<T>;
}

/** A reader for `converter` (default: the environment's, as the worker and CLI use it). */
export function payloadReader(converter: DataConverter | undefined = dataConverterFromEnv()): PayloadReader {
  const codecs = [...(converter?.payloadCodecs ?? [])].reverse();
  return {
    async first<T>(payloads: Payload[] | null | undefined): Promise<T> {
      if (!payloads?.length) return undefined as T;
      let decoded = payloads;
      for (const codec of codecs) decoded = await codec.decode(decoded);
      return defaultPayloadConverter.fromPayload<T>(decoded[0]!);
    },
  };
}
