// The network's processes: started detached (they outlive `npm run fabric -- up`), each with
// a log file and a pid file in the network's folder, stopped by pid.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function startProcess(runDir: string, logDir: string, spec: ProcessSpec): number {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const log = openSync(path.join(logDir, `${spec.name}.log`), 'a');
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', log, log] });
  if (!child.pid) throw new Error(`${spec.name}: could not start ${spec.command}`);
  child.unref();
  writeFileSync(path.join(runDir, `${spec.name}.pid`), String(child.pid));
  return child.pid;
}

/** The processes a network's pid files name, and whether each still runs. */
export function listProcesses(runDir: string): { name: string; pid: number; alive: boolean }[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => {
      const pid = Number(readFileSync(path.join(runDir, f), 'utf8'));
      return { name: f.slice(0, -4), pid, alive: Number.isInteger(pid) && pid > 0 && isAlive(pid) };
    });
}

/** Stops every process of the network (TERM, then KILL after a grace period). */
export async function stopProcesses(runDir: string, graceMs = 5000, only?: string): Promise<string[]> {
  const procs = listProcesses(runDir).filter((p) => !only || p.name === only);
  for (const p of procs) if (p.alive) killGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (procs.some((p) => isAlive(p.pid)) && Date.now() < deadline) await sleep(100);
  for (const p of procs) if (isAlive(p.pid)) killGroup(p.pid, 'SIGKILL');
  for (const p of procs) rmSync(path.join(runDir, `${p.name}.pid`), { force: true });
  return procs.filter((p) => p.alive).map((p) => p.name);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // detached: the process leads its own group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Waits until a port accepts connections; fails early, with the log's tail, if the process died. */
export async function waitForPort(port: number, what: { name: string; pid: number; logDir: string }, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portAnswers(port)) return;
    if (!isAlive(what.pid)) throw new Error(`${what.name} exited before listening on ${port}:\n${logTail(what.logDir, what.name)}`);
    await sleep(200);
  }
  throw new Error(`${what.name} did not listen on ${port} within ${timeoutMs / 1000} s:\n${logTail(what.logDir, what.name)}`);
}

export function logTail(logDir: string, name: string, lines = 25): string {
  const file = path.join(logDir, `${name}.log`);
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
