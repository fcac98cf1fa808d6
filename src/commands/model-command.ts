import type { CommandContext } from './commands.js';
import { formatPricePerMillion } from './money.js';

/** How many priced models a `/model` listing names before it stops. */
const LISTED_MODELS = 40;

/**
 * `/model`: shows the workspace's model setting and the priced models; `/model NAME` pins
 * a model and `/model auto` returns to routing, for admins only.
 */
export async function modelCommand({ request, session, workspace, isAdmin }: CommandContext): Promise<string> {
  const words = request.args.split(/\s+/).filter(Boolean);
  if (words.length > 1) {
    return (
      `\`/model ${request.args}\` names more than one model. Usage: \`/model\` shows the models and prices, ` +
      '`/model NAME` pins one model for every question, and `/model auto` returns to routing.'
    );
  }
  const argument = words[0] ?? '';
  if (argument === '') return describeModels(session, workspace);
  if (!isAdmin) {
    return (
      'Only workspace admins can change the model. Ask an admin to run it, or add ' +
      `${request.platform}:${request.userId} to ADMIN_USER_IDS.`
    );
  }
  if (argument.toLowerCase() === 'auto') {
    await session.settings.update(workspace, { model: undefined });
    return 'This workspace is back on automatic routing: each question goes to the model its class calls for.';
  }
  const price = session.prices.lookup(argument);
  if (!price) {
    const known = session.prices.knownModels();
    return `Unknown model "${argument}". Known models: ${known.slice(0, LISTED_MODELS).join(', ')}. Use \`/model auto\` to return to routing.`;
  }
  await session.settings.update(workspace, { model: price.model });
  return (
    `This workspace now uses ${price.model} for every question ` +
    `(${formatPricePerMillion(price.inputPerMillion)} input, ${formatPricePerMillion(price.outputPerMillion)} output per 1M tokens). ` +
    'Run `/model auto` to return to routing.'
  );
}

async function describeModels(session: CommandContext['session'], workspace: string): Promise<string> {
  const settings = await session.settings.get(workspace);
  const router = session.router;
  const lines = [
    settings.model
      ? `This workspace is pinned to **${settings.model}**. An admin can run \`/model auto\` to return to routing.`
      : `This workspace uses automatic routing: simple questions go to ${router.modelFor('simple')}, ` +
        `others to ${router.modelFor('default')}, complex ones to ${router.modelFor('complex')}.`,
    '',
    '**Models and prices** (USD per 1M tokens: input / cached input / output)',
  ];
  const known = session.prices.knownModels();
  for (const name of known.slice(0, LISTED_MODELS)) {
    const price = session.prices.lookup(name);
    if (!price) continue;
    lines.push(
      `- ${name}: ${formatPricePerMillion(price.inputPerMillion)} / ${formatPricePerMillion(price.cachedInputPerMillion)} / ${formatPricePerMillion(price.outputPerMillion)}`,
    );
  }
  if (known.length > LISTED_MODELS) lines.push(`…and ${known.length - LISTED_MODELS} more.`);
  lines.push('', 'Admins: `/model NAME` pins a model for every question, `/model auto` returns to routing.');
  return lines.join('\n');
}
