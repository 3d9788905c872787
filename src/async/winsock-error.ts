/** The error the async API throws: a Winsock error code and its name. */
import { errorName, errorText } from '../provider/constants.js';

export class WinsockError extends Error {
  /** The name of the code, such as 'WSAECONNREFUSED'. */
  readonly codeName: string;

  constructor(
    /** The Winsock error code, such as 10061. */
    readonly code: number,
    /** The call that failed, such as 'WSPConnect'. */
    readonly call = '',
  ) {
    const name = errorName(code) ?? `error ${code}`;
    super(`${call ? `${call}: ` : ''}${name}${errorText(code) ? ` (${errorText(code)})` : ''}`);
    this.codeName = name;
    this.name = 'WinsockError';
  }
}
