/** What every store says about itself, and its end. */
export interface StoreAdmin {
  readonly kind: 'postgres' | 'sqlite';
  /** Where the data lives, with any password removed: safe to print. */
  readonly location: string;
  /** Schema version present in the database and the latest this code knows. */
  schemaVersion(): Promise<{ current: number; latest: number }>;
  close(): Promise<void>;
}
