// Builds the offline basemap into a directory without Vite (for measuring): node <bundle> <outDir>
import { buildBasemap } from './buildBasemap.ts'

const out = process.argv[2]
if (!out) throw new Error('usage: cli <outDir>')
buildBasemap(out, console.log)
