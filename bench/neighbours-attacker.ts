// The attacker of bench/relay-neighbours.ts, in a process of its own (forked with tsx) so its CPU is
// not the quiet tenant's event loop. It takes {cmd:"start", plan} over IPC, runs that attack until
// {cmd:"stop"}, then closes every socket it opened and answers with what it experienced.
import { AttackContext } from "./neighbours-attack-context";
import { ATTACK_RUNNERS } from "./neighbours-attacks";
import type { AttackerCommand, AttackerEvent } from "./neighbours-plan";

/** How long a stopping attack may take to wind down before its sockets are closed under it. */
const STOP_GRACE_MS = 5_000;

function send(event: AttackerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(event, undefined, undefined, () => resolve());
  });
}

let context: AttackContext | null = null;
let running: Promise<void> = Promise.resolve();

process.on("message", (command: AttackerCommand) => {
  if (command.cmd === "start") {
    const attack = new AttackContext(command.plan, () => void send({ event: "set-up" }));
    context = attack;
    running = ATTACK_RUNNERS[command.plan.attack](attack).catch((error: unknown) => {
      attack.notes.push(`attack stopped early: ${error instanceof Error ? error.message : String(error)}`);
    });
    return;
  }
  const attack = context;
  if (!attack) return void process.exit(0);
  attack.stopped = true;
  void Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]).then(async () => {
    attack.closeAll();
    await send({ event: "report", report: { tally: attack.tally, notes: attack.notes } });
    process.exit(0);
  });
});
// The benchmark gone (crashed or killed): nothing of this attack may outlive it.
process.on("disconnect", () => process.exit(0));
void send({ event: "ready" });
