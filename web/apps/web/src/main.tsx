import 'leaflet/dist/leaflet.css'
import './styles.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { wsClient } from './clients.ts'
import { installDebug } from './debug.ts'
import { installReconnectTriggers } from './features/live/reconnectTriggers.ts'
import { fleetStore } from './features/live/store.ts'
import { wireStore } from './features/live/wire.ts'

// Wired once, outside React. Nothing connects until the AuthContext hands the client a token.
wireStore(fleetStore, wsClient)
installReconnectTriggers(window, document, wsClient)
installDebug(wsClient, fleetStore)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
