import './FollowChip.css'

export interface FollowChipProps {
  /** The followed vehicle's name. */
  name: string
  onStop: () => void
}

/** Says which vehicle the map follows, over the map, with the button that stops following it. */
export function FollowChip({ name, onStop }: FollowChipProps) {
  return (
    <div className="follow-chip" data-testid="follow-chip">
      <span>Following {name}</span>
      <button type="button" onClick={onStop} aria-label={`Stop following ${name}`}>
        Stop
      </button>
    </div>
  )
}
