/** The function app the scenario's third party runs as, and its one function: the names the lessons and the template give them. */
export const THIRD_PARTY_APP = "keyless-third-party";
/** As `func new --name RandomNumber` would have made it. */
export const THIRD_PARTY_FUNCTION = "RandomNumber";
