import { useSyncExternalStore } from 'react'
import { settingsStore, type Settings } from './settings.ts'

const subscribe = (l: () => void) => settingsStore.subscribe(l)
const get = () => settingsStore.get()

/** The viewer's settings; re-renders the caller when they change. */
export function useSettings(): Settings {
  return useSyncExternalStore(subscribe, get)
}
