/**
 * actions/checkout, played: the job's workspace is the working tree as it is
 * (the rehearsal runs what you have, committed or not), so nothing is fetched
 * and nothing changes. A checkout of another repository or into a sub-folder
 * is refused: there is nothing to fetch it from.
 */
import type { PlayedAction } from "./action.ts";

export const checkout: PlayedAction = {
  repository: "actions/checkout",
  majors: ["v4", "v5"],
  inputs: {
    repository: "",
    ref: "",
    token: "",
    "ssh-key": "",
    "ssh-known-hosts": "",
    "ssh-strict": "true",
    "ssh-user": "git",
    "persist-credentials": "true",
    path: "",
    clean: "true",
    filter: "",
    "sparse-checkout": "",
    "sparse-checkout-cone-mode": "true",
    "fetch-depth": "1",
    "fetch-tags": "false",
    "show-progress": "true",
    lfs: "false",
    submodules: "false",
    "set-safe-directory": "true",
    "github-server-url": "",
  },
  async main({ inputs, env, log, workspace }) {
    const own = env["GITHUB_REPOSITORY"] ?? "";
    if (inputs["repository"] !== "" && inputs["repository"]?.toLowerCase() !== own.toLowerCase()) {
      log.error(
        `The rehearsal checks out this repository only (${own}), not ${inputs["repository"]}: there is nothing to fetch another from.`,
      );
      return false;
    }
    if (inputs["path"] !== "") {
      log.error("The rehearsal checks out into the workspace itself: path is not played.");
      return false;
    }
    log.line(`Syncing repository: ${own}`);
    log.line(`The workspace is the working tree as it is (${workspace}): nothing fetched, nothing changed.`);
    if (inputs["ref"] !== "") log.line(`(ref: ${inputs["ref"]} is not checked out: the working tree is what runs.)`);
    return true;
  },
};
