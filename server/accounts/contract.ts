// What other capabilities may ask of accounts. The routes of accounts use the service itself.
import type { NewUser, TokenPair, User } from './service.js';
import type { AppAuthentication, AppCredentials } from './api-keys.js';

export type UserCreatedHook = (user: User) => void | Promise<void>;

/** How many accounts the node has and how many were active lately (NodeInfo's usage). */
export interface AccountActivity {
  total: number;
  activeMonth: number;
  activeHalfyear: number;
}

export interface AccountsApi {
  byId(id: string): Promise<User | undefined>;
  byUsername(username: string): Promise<User | undefined>;
  /** The usernames of accounts by id (ids that name no account are left out). */
  usernames(ids: readonly string[]): Promise<Map<string, string>>;
  /** The account behind a bearer token, or 401. */
  authenticate(token: string): Promise<User>;
  /**
   * What a listener's app presents (Subsonic `apiKey`, `u`+`p`, `u`+`t`+`s`; a ListenBrainz
   * token): the account whose API key it is, or why not. The account password is never accepted.
   */
  authenticateApp(credentials: AppCredentials): Promise<AppAuthentication>;
  /** Makes an account without the sign-up throttle (admins, scripts). */
  create(input: NewUser): Promise<User>;
  activity(): Promise<AccountActivity>;
  /** A guest account, signed in (a watch link opened without a sign-up). */
  createGuest(): Promise<{ user: User; tokens: TokenPair }>;
  /** Event: a guest claimed their account (after commit). */
  onGuestClaimed(hook: UserCreatedHook): void;
  /** Event: an account was made (after commit). */
  onUserCreated(hook: UserCreatedHook): void;
}
