/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Clerk publishable key; when set, the app authenticates with Clerk instead of fleetd's dev issuer. */
  readonly VITE_CLERK_PUBLISHABLE_KEY?: string
  /** Optional raster tile URL template for online deployments (e.g. https://tile.example/{z}/{x}/{y}.png). */
  readonly VITE_TILE_URL?: string
  readonly VITE_TILE_ATTRIBUTION?: string
  /** API/WS base URL; empty (default) means same origin. */
  readonly VITE_API_BASE?: string
  /** Comma-separated organizations offered by the dev sign-in screen and org switcher. */
  readonly VITE_DEV_ORGS?: string
  /** Comma-separated users offered by the dev sign-in screen. */
  readonly VITE_DEV_USERS?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
