/**
 * `npm run doctor`: checks the learner's machine and the running workshop
 * before anything else, and says how to fix each problem it finds.
 */
import { existsSync, readFileSync } from "node:fs";
import tls from "node:tls";
import { join } from "node:path";
import { Command } from "commander";
import { NotRunningError, reachRunningWorkshop, type RunningWorkshop } from "../running/control.ts";
import { STEPS, portsInUse, whoHolds } from "@keyless/app-process";
import { DASHBOARD_PORT, REPO_ROOT, SANDBOX_PORTS, stepPort, workspacePort } from "../layout/repo.ts";
import { appExerciseSteps } from "../exercises/exercises.ts";
import { bold, fail, ok, warn } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

interface Finding {
  /** true: fine; false: a problem to fix; "note": worth knowing, nothing wrong (a step npm start was not asked for). */
  readonly ok: boolean | "note";
  readonly text: string;
  readonly fix?: string;
  /** The problem in a few words, for the last line (the text when absent). */
  readonly short?: string;
}

async function answers(url: string): Promise<number | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(8000) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error instanceof Error ? error.message : String(error));
  }
}

function checkNode(): Finding {
  const major = Number(process.versions.node.split(".")[0]);
  const fromProject = process.execPath.startsWith(REPO_ROOT);
  if (major < 22)
    return {
      ok: false,
      text: `Node ${process.version} is too old (22 or newer)`,
      fix: "Run npm install: it installs the project's own Node 24, which npm run uses.",
    };
  return { ok: true, text: `Node ${process.version}${fromProject ? " (the project's own, from npm install)" : ""}` };
}

function checkInstall(): Finding {
  return existsSync(join(REPO_ROOT, "node_modules", "@azure", "identity"))
    ? { ok: true, text: "dependencies installed" }
    : { ok: false, text: "dependencies are missing", fix: "Run npm install in the repository's root folder." };
}

/** Every port npm start listens on, with what listens there: from the same functions npm start reads them from. */
function workshopPorts(): { port: number; what: string }[] {
  return [
    { port: DASHBOARD_PORT, what: "the live view" },
    ...STEPS.map((step) => ({ port: stepPort(step), what: `step ${step}` })),
    ...appExerciseSteps().map((step) => ({ port: workspacePort(step), what: `your app for exercise ${step}` })),
    ...Object.entries(SANDBOX_PORTS).map(([service, port]) => ({ port, what: `the sandbox's ${service}` })),
  ];
}

async function checkPorts(): Promise<Finding> {
  const ports = workshopPorts();
  const busy = new Set(await portsInUse(ports.map(({ port }) => port)));
  if (busy.size === 0) return { ok: true, text: `ports free: ${ports.map(({ port }) => port).join(", ")}` };
  const named = ports.filter(({ port }) => busy.has(port)).map(({ port, what }) => `${port} (${what})`);
  return {
    ok: false,
    text: `ports in use: ${named.join(", ")}`,
    fix: `Stop what uses them (${whoHolds([...busy][0] ?? 0)} shows which), or an old npm start.`,
  };
}

async function checkRunning(workshop: RunningWorkshop): Promise<Finding[]> {
  const findings: Finding[] = [];
  const caFile = workshop.endpoints["caFile"];
  if (typeof caFile === "string" && existsSync(caFile)) {
    const pem = readFileSync(caFile, "utf8");
    findings.push({
      ok: pem.includes("BEGIN CERTIFICATE"),
      text: `sandbox CA at ${caFile}`,
      fix: "Delete the .sandbox folder and run npm start again to make a new CA.",
    });
    // The steps trust this CA through NODE_EXTRA_CA_CERTS; trust it here the same way, in-process.
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), pem]);
  }
  const authority = workshop.endpoints["authorityHost"];
  if (typeof authority === "string") {
    // Trusting the sandbox CA is what NODE_EXTRA_CA_CERTS gives the steps: check the same here.
    const status = await answers(`${authority}/adfs/.well-known/openid-configuration`);
    findings.push(
      status === 200
        ? { ok: true, text: `token service answers over HTTPS with a trusted certificate (${authority})` }
        : {
            ok: false,
            text: `token service at ${authority}: ${status}`,
            fix: "Stop npm start, delete the .sandbox folder (a new CA is made), and start again.",
          },
    );
  }
  // The steps npm start was asked to run (and those restarted since): one of them not running is down.
  const asked = Array.isArray(workshop.endpoints["askedSteps"])
    ? (workshop.endpoints["askedSteps"] as readonly string[])
    : STEPS;
  for (const step of STEPS) {
    const url = workshop.endpoints.steps[step];
    if (!url) {
      // npm start runs: the step starts into it (a second npm start would clash on its ports).
      findings.push(
        asked.includes(step)
          ? {
              ok: false,
              text: `step ${step} is not running: it stopped, or did not start`,
              short: `step ${step} is not running`,
              fix: `Its "did not start" line in the npm start window says why. Start it again with npm run restart -- ${step}.`,
            }
          : {
              ok: "note",
              text: `step ${step} is not running (npm start was not asked for it)`,
              fix: `Start it with npm run restart -- ${step}.`,
            },
      );
      continue;
    }
    const status = await answers(`${url}/api/v1/getcode`);
    findings.push(
      status === 200
        ? { ok: true, text: `step ${step} issues codes at ${url}/api/v1/getcode` }
        : {
            ok: false,
            text: `step ${step} at ${url} answered ${status}`,
            fix: `Run npm run check -- ${step} for details.`,
          },
    );
  }
  return findings;
}

const program = new Command("npm run doctor --")
  .description("Check Node, ports, the sandbox and each step, and say how to fix what is wrong.")
  .action(async () => {
    const findings: Finding[] = [checkNode(), checkInstall()];
    let workshop: RunningWorkshop | undefined;
    let notRunning: NotRunningError | undefined;
    try {
      workshop = await reachRunningWorkshop();
    } catch (error) {
      if (!(error instanceof NotRunningError)) throw error;
      notRunning = error;
    }
    if (workshop) {
      findings.push({ ok: true, text: "the sandbox is running (npm start)" }, ...(await checkRunning(workshop)));
    } else if (notRunning?.reason === "unresponsive" || notRunning?.reason === "unreachable") {
      findings.push({ ok: false, text: notRunning.message });
    } else {
      const stale =
        notRunning?.reason === "stale"
          ? " (an npm start that did not stop cleanly left its endpoints file behind; removed now)"
          : "";
      findings.push(
        {
          ok: false,
          text: `the sandbox is not running${stale}`,
          short: "the sandbox is not running",
          fix: "Start it with npm start, in another terminal.",
        },
        await checkPorts(),
      );
    }
    for (const finding of findings) {
      const line =
        finding.ok === true ? ok(finding.text) : finding.ok === "note" ? warn(finding.text) : fail(finding.text);
      console.log(line);
      if (finding.ok !== true && finding.fix) console.log(`    ${finding.fix}`);
    }
    // "All good." only when it is: the last line names each problem, so none scrolls by unread.
    const problems = findings.filter((finding) => finding.ok === false).map((finding) => finding.short ?? finding.text);
    console.log(
      problems.length === 0
        ? bold("\nAll good.")
        : bold(`\n${problems.length} ${problems.length === 1 ? "thing" : "things"} to fix: ${problems.join("; ")}.`),
    );
    if (problems.length > 0) process.exitCode = 1;
  });

await runCommand(program);
