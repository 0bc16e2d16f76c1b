import type { FeatureFlagEvaluations, PostHog } from 'posthog-node';
import type { Todo, User } from '../data/store.ts';
import { characters } from './validation.ts';

/** The value of the detailed-analytics flag, and the snapshot it was read from (if any). */
export interface DetailedAnalytics {
  detailed: boolean;
  flags?: FeatureFlagEvaluations;
}

/** Every event the server sends (see createEvents). */
export interface Events {
  userSignedUp(user: User, anonymousId: string | undefined): void;
  userLoggedIn(user: User, anonymousId: string | undefined): void;
  userLoggedOut(user: User): void;
  todoAdded(user: User, todo: Todo, totalTodos: number): void;
  todoUpdated(user: User, todo: Todo, fieldsChanged: string[]): void;
  todoCompleted(user: User, todo: Todo): void;
  todoDeleted(user: User, todo: Todo): void;
  statsViewed(user: User, detailedAnalytics: DetailedAnalytics): void;
  detailedAnalytics(user: User): Promise<DetailedAnalytics>;
}

const DETAILED_ANALYTICS_FLAG = 'detailed-analytics';
const MS_PER_HOUR = 60 * 60 * 1000;

/**
 * Every event the server sends, in one place. Events inherit the request's
 * session id and request properties from posthog.withContext(); an explicit
 * distinctId is given wherever the user is known, so that signup and login
 * events land on the new identity rather than the anonymous one.
 */
export function createEvents(posthog: PostHog): Events {
  function identify(user: User, anonymousId: string | undefined) {
    posthog.identify({
      distinctId: user.id,
      properties: {
        $set: { email: user.email, name: user.name },
        ...(anonymousId && anonymousId !== user.id ? { $anon_distinct_id: anonymousId } : {}),
      },
    });
  }

  function capture(user: User, event: string, properties: Record<string, unknown>, flags?: FeatureFlagEvaluations) {
    posthog.capture({ distinctId: user.id, event, properties, ...(flags ? { flags } : {}) });
  }

  return {
    userSignedUp(user, anonymousId) {
      identify(user, anonymousId);
      capture(user, 'user_signed_up', { signup_method: 'email' });
    },

    userLoggedIn(user, anonymousId) {
      identify(user, anonymousId);
      capture(user, 'user_logged_in', { login_method: 'email' });
    },

    userLoggedOut(user) {
      capture(user, 'user_logged_out', {});
    },

    todoAdded(user, todo, totalTodos) {
      capture(user, 'todo_added', {
        todo_id: todo.id,
        title_length: characters(todo.title),
        total_todos: totalTodos,
      });
    },

    todoUpdated(user, todo, fieldsChanged) {
      capture(user, 'todo_updated', { todo_id: todo.id, fields_changed: fieldsChanged });
    },

    todoCompleted(user, todo) {
      // A completed todo has its completedAt.
      const hours = (Date.parse(todo.completedAt!) - Date.parse(todo.createdAt)) / MS_PER_HOUR;
      capture(user, 'todo_completed', {
        todo_id: todo.id,
        time_to_complete_hours: Math.round(hours * 100) / 100,
      });
    },

    todoDeleted(user, todo) {
      capture(user, 'todo_deleted', { todo_id: todo.id, was_completed: todo.completed });
    },

    statsViewed(user, { detailed, flags }) {
      capture(user, 'stats_viewed', { detailed_analytics: detailed }, flags);
    },

    /**
     * Remote evaluation: one /flags request per call. Local evaluation (a
     * secret key): no request at all; until the definitions have loaded the
     * flag is off rather than a request that could hang or fail, and a flag
     * local evaluation cannot decide (e.g. experience continuity) is off too.
     * The snapshot goes on stats_viewed so the event records the value the code
     * branched on; no separate $feature_flag_called.
     * Flags must never break the route, so an unreachable PostHog means "off".
     */
    async detailedAnalytics(user) {
      // With a secret key the SDK evaluates flags in process (see posthog.ts).
      const local = Boolean(posthog.options.secretKey);
      if (local && !posthog.isLocalEvaluationReady()) return { detailed: false };
      try {
        const flags = await posthog.evaluateFlags(user.id, {
          flagKeys: [DETAILED_ANALYTICS_FLAG],
          ...(local ? { onlyEvaluateLocally: true } : {}),
        });
        return {
          detailed: flags.isEnabled(DETAILED_ANALYTICS_FLAG, { sendFeatureFlagEvents: false }),
          flags,
        };
      } catch {
        return { detailed: false };
      }
    },
  };
}
