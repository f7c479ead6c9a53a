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
import { SharePage } from './features/share/SharePage.tsx'
import { shareTokenFromPath } from './features/share/shareRoute.ts'
import { createShareSession } from './features/share/shareSession.ts'

const root = createRoot(document.getElementById('root')!)
const shareToken = shareTokenFromPath(window.location.pathname)

if (shareToken !== null) {
  // A share link: its own client and store, no sign-in; the signed-in app's clients stay unused.
  const session = createShareSession(shareToken)
  document.title = 'Fleet Live — Shared vehicles'
  installReconnectTriggers(window, document, session.client)
  installDebug(session.client, session.store)
  root.render(
    <StrictMode>
      <SharePage session={session} />
    </StrictMode>,
  )
} else {
  // Wired once, outside React. Nothing connects until the AuthContext hands the client a token.
  wireStore(fleetStore, wsClient)
  installReconnectTriggers(window, document, wsClient)
  installDebug(wsClient, fleetStore)
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
}
