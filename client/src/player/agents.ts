// The budget agent of a metered track is shared by whoever needs it: the track page shows its
// prices and budget form before anything plays, and the dock's Playback pays through the same
// agent, so the budget set on the page is the one spent and the agent's messages show there.
// It lives while a page or a Playback holds it.
import { MeteredAgent, type StopReason } from '../metered.js';
import type { Playable } from '../player.js';

interface Target {
  meteredStop(reason: StopReason): void;
  meteredResume(): void;
}

interface Hold {
  agent: MeteredAgent;
  holders: number;
  target: Target | null;
  controller: AbortController;
}

const holds = new Map<string, Hold>();

/** The track's agent (null unless metered), held until `signal` aborts. */
export function holdAgent(track: Playable, signal: AbortSignal): MeteredAgent | null {
  if (track.access?.mode !== 'metered' || signal.aborted) return null;
  let hold = holds.get(track.id);
  if (!hold) {
    const controller = new AbortController();
    const created: Hold = {
      holders: 0,
      target: null,
      controller,
      agent: new MeteredAgent(
        { id: track.id, durationSeconds: track.durationSeconds, access: track.access, channelId: track.channel?.id },
        (reason) => created.target?.meteredStop(reason),
        () => created.target?.meteredResume(),
        controller.signal,
      ),
    };
    hold = created;
    holds.set(track.id, hold);
  }
  const held = hold;
  held.holders++;
  signal.addEventListener('abort', () => {
    if (--held.holders > 0) return;
    held.controller.abort();
    if (holds.get(track.id) === held) holds.delete(track.id);
  });
  return held.agent;
}

/** The Playback the agent's stops and resumes go to (until `signal` aborts). */
export function bindAgent(trackId: string, target: Target, signal: AbortSignal): void {
  const hold = holds.get(trackId);
  if (!hold) return;
  hold.target = target;
  signal.addEventListener('abort', () => {
    if (hold.target === target) hold.target = null;
  });
}
