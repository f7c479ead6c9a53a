/** The frame scheduler the clock runs on (requestAnimationFrame in the browser; a fake in tests). */
export interface FrameScheduler {
  request(cb: () => void): number
  cancel(handle: number): void
  /** Monotonic wall time, ms. */
  now(): number
}

const browserFrames: FrameScheduler = {
  request: (cb) => requestAnimationFrame(cb),
  cancel: (h) => cancelAnimationFrame(h),
  now: () => performance.now(),
}

/** Playback speeds offered: device seconds per wall second. */
export const REPLAY_SPEEDS = [1, 4, 16, 60, 240] as const

/**
 * Replay time over `[start, end]` (device time, epoch ms). While playing, each animation frame advances it
 * by the wall time since the previous frame × speed and reports it to `onTime`; at `end` it pauses. Seeking
 * reports at once. One scheduled frame at most, none while paused.
 */
export class ReplayClock {
  private t: number
  private playing = false
  private speed = 60
  private handle = 0
  private lastWall = 0

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly onTime: (t: number) => void,
    private readonly onPlayingChange: (playing: boolean) => void,
    private readonly frames: FrameScheduler = browserFrames,
  ) {
    this.t = start
  }

  get time(): number {
    return this.t
  }

  get isPlaying(): boolean {
    return this.playing
  }

  get currentSpeed(): number {
    return this.speed
  }

  setSpeed(speed: number): void {
    this.speed = speed
  }

  /** Plays from the current time; from the start again when at the end. */
  play(): void {
    if (this.playing) return
    if (this.t >= this.end) this.seek(this.start)
    this.playing = true
    this.lastWall = this.frames.now()
    this.handle = this.frames.request(this.frame)
    this.onPlayingChange(true)
  }

  pause(): void {
    if (!this.playing) return
    this.playing = false
    this.frames.cancel(this.handle)
    this.onPlayingChange(false)
  }

  /** Jumps to `t` (clamped to the range); playback, if on, continues from there. */
  seek(t: number): void {
    this.t = Math.min(this.end, Math.max(this.start, t))
    this.lastWall = this.frames.now()
    this.onTime(this.t)
  }

  destroy(): void {
    this.playing = false
    this.frames.cancel(this.handle)
  }

  private readonly frame = (): void => {
    if (!this.playing) return
    const now = this.frames.now()
    this.t = Math.min(this.end, this.t + (now - this.lastWall) * this.speed)
    this.lastWall = now
    this.onTime(this.t)
    if (this.t >= this.end) this.pause()
    else this.handle = this.frames.request(this.frame)
  }
}
