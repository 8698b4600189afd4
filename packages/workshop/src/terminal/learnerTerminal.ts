/**
 * The environment of a learner's terminal, for a command started on the learner's behalf (the bench's npm
 * starts, the tests playing a learner): this process's, without what an outer npm (npm test, turbo, an npm
 * script) put there for its own script. npm_config_local_prefix would send a nested npm to a package instead
 * of the root, and npm_config_loglevel=silent would silence npm's echo of the command.
 */
export function learnerTerminal(variables: Readonly<Record<string, string>> = {}): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !/^npm_/i.test(entry[0]),
  );
  return { ...Object.fromEntries(inherited), ...variables };
}
