/**
 * The `email` action (actions.json `type: "email"`): one plain-text message per matching event, subject and body
 * rendered from the action's templates over the event's fields, sent through the action's SMTP server.
 */
import { sendEmail } from '../../adapters/smtp/smtp-client.ts';
import { eventTemplateValues, renderTemplate } from '../../core/event-template.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { ActionRequest } from '../../runtime/payloads.ts';
import { runAction, type ActionDeps } from './run-action.ts';

/** Longer than action-email's exec_timeout (stack.yml): an attempt running this long died with its call. */
const EMAIL_TIMEOUT_SECONDS = 60;

/**
 * Sends the email of one event, once: a second delivery of the event is `skipped`, an unreachable or refusing
 * server fails the attempt with the server's words (the scheduler re-queues it). Every attempt at one event sends
 * the same `Message-ID` and `X-Dataplatform-Event-Run`, so a reader can tell a resend from a new event.
 *
 * @example
 * await runEmailAction({ action_id: 'email_failed_runs', event }, { db, metadata, loader, log, callId });
 * // → { status: 'succeeded', action_id, run_id, attempt: 1, message_id: '<email_failed_runs.0190…@dataplatform>', recipients: 1 }
 */
export function runEmailAction(request: ActionRequest, deps: ActionDeps): Promise<Outcome> {
  return runAction(request, deps, {
    type: 'email',
    timeoutSeconds: EMAIL_TIMEOUT_SECONDS,
    async perform(action, _run, log) {
      const { settings } = action;
      const values = eventTemplateValues(request.event, { action_id: action.id, dashboard_url: settings.dashboard_url });
      const messageId = `<${action.id}.${request.event.run_id}@dataplatform>`;
      const sent = await sendEmail(
        settings.smtp,
        {
          from: settings.from,
          to: settings.to,
          // A header is one line: a newline from an event field must not start a header of its own.
          subject: renderTemplate(settings.subject, values).replace(/[\r\n]+/g, ' '),
          text: renderTemplate(settings.body, values),
          messageId,
          headers: { 'X-Dataplatform-Action': action.id, 'X-Dataplatform-Event-Run': request.event.run_id },
        },
        { timeoutMs: settings.timeout_ms },
      );
      if (sent.rejected.length > 0) log.warn({ rejected: sent.rejected.length }, 'email refused for some recipients');
      log.info({ message_id: messageId, recipients: sent.accepted.length }, 'email sent');
      return { message_id: messageId, recipients: sent.accepted.length, rejected_recipients: sent.rejected };
    },
  });
}
