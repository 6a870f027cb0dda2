// Type declarations of @magiclink/web/amplify (amplify.js).

import type { SessionStorage } from "./magiclink.js";

/**
 * A session storage (createClient()'s `storage`) that keeps the tokens where
 * Amplify JS v6 keeps its own, under `CognitoIdentityServiceProvider.<clientId>.…`
 * in `storage` (default localStorage), so that aws-amplify's
 * fetchAuthSession() and getCurrentUser() see the user magiclink signed in.
 */
export function amplifyStorage(clientId: string, storage?: SessionStorage): SessionStorage;
