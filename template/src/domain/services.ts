import type { PostHog } from 'posthog-node';
import type { Store } from '../data/store.ts';
import { createAccounts } from './accounts.ts';
import { createEvents } from './events.ts';
import { createStats } from './stats.ts';
import { createTodos } from './todos.ts';

/** What the routes call: each service does the work and sends its event. */
export function createServices({ store, posthog }: { store: Store; posthog: PostHog }) {
  const events = createEvents(posthog);
  return {
    accounts: createAccounts({ store, events }),
    todos: createTodos({ store, events }),
    stats: createStats({ store, events }),
    /** Healthy means the database answers, so a load balancer skips an instance that could only answer 503. */
    isHealthy: () => store.isAvailable(),
  };
}

export type Services = ReturnType<typeof createServices>;
