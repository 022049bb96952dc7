import type { WebhookSecrets, WebhookSigningSecrets } from '@ferry/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ImportsContext } from '../imports/context.ts';
import { errorResponses, SECURED } from '../imports/schemas.ts';

const SigningSecret = z
  .object({
    secret: z.string().describe('whsec_<base64>: verify webhook-signature with it (Standard Webhooks)'),
    previousValidUntil: z
      .string()
      .optional()
      .describe('After a rotation: until then deliveries are also signed with the previous secret'),
  })
  .describe("The tenant's webhook signing secret");

function answer(secrets: WebhookSigningSecrets): z.infer<typeof SigningSecret> {
  return {
    secret: secrets.current,
    ...(secrets.previous ? { previousValidUntil: secrets.previous.validUntil } : {}),
  };
}

/**
 * The tenant's own webhook signing secret: the one answer that carries a secret, to its owner only,
 * never cached on the way.
 */
export const notifySecretRoutes: FastifyPluginAsyncZod<{
  ctx: ImportsContext;
  signingSecrets: WebhookSecrets;
}> = async (app, { ctx, signingSecrets }) => {
  app.get(
    '/v1/notify/secret',
    {
      schema: {
        summary: 'The webhook signing secret (made on first request)',
        tags: ['notify'],
        security: SECURED,
        response: { 200: SigningSecret, ...errorResponses(401, 503) },
      },
    },
    async (request, reply) => {
      const secrets = await ctx.call('the secret store', () => signingSecrets.get(request.tenant));
      return reply.header('cache-control', 'no-store').send(answer(secrets));
    },
  );

  app.post(
    '/v1/notify/secret',
    {
      schema: {
        summary: 'Rotate the webhook signing secret',
        description:
          'A new secret signs from now on; the previous one also signs every delivery for 24 hours, ' +
          'so receivers can switch over and retried events still verify.',
        tags: ['notify'],
        security: SECURED,
        response: { 200: SigningSecret, ...errorResponses(401, 503) },
      },
    },
    async (request, reply) => {
      const secrets = await ctx.call('the secret store', () => signingSecrets.rotate(request.tenant));
      return reply.header('cache-control', 'no-store').send(answer(secrets));
    },
  );
};
