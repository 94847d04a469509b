// The part of `macaroon` (3.0.4, no types of its own) that money uses.
declare module 'macaroon' {
  export interface Macaroon {
    readonly identifier: Uint8Array;
    readonly location: string;
    readonly signature: Uint8Array;
    readonly caveats: { identifier: Uint8Array; vid?: Uint8Array; location?: string }[];
    addFirstPartyCaveat(caveatId: string | Uint8Array): void;
    /** Throws when a signature or a caveat does not hold; `check` returns an error text or null. */
    verify(rootKey: Uint8Array, check: (condition: string) => string | null, discharges?: Macaroon[]): void;
    exportBinary(): Uint8Array;
  }
  export function newMacaroon(args: { identifier: Uint8Array | string; location?: string; rootKey: Uint8Array | string; version?: 1 | 2 }): Macaroon;
  export function importMacaroon(data: string | Uint8Array | object): Macaroon;
  export function bytesToBase64(bytes: Uint8Array): string;
  export function base64ToBytes(s: string): Uint8Array;
}
