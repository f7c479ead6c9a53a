import { httpClient } from '../../clients.ts'
import { FleetStore } from './fleetStore.ts'
import { nameRefresher } from './wire.ts'

/** The app's single vehicle store (outside React). */
export const fleetStore: FleetStore = new FleetStore({
  onUnknownDevice: nameRefresher(() => fleetStore, httpClient),
})
