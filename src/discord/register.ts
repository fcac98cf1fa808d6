import 'dotenv/config';

import { runRegistration } from './registration.js';

// `npm run discord:register`: registers the slash commands per guild when DISCORD_GUILD_ID is set, otherwise globally.
process.exitCode = await runRegistration(process.env, process.stdout, process.stderr);
