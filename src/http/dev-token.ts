// `POST <graphqlRoute>/dev-token` (watch mode with a JWT secret): signs a token for the role and
// claims the GraphiQL identity panel asks for, so a developer can try the API as any user.
import express, { type Request, type Response } from 'express';

export interface DevTokenOptions {
  graphqlRoute: string;
  /** Signs the claims with the server's JWT secret. */
  sign: (claims: Record<string, unknown>) => string;
  bodySizeLimit: string;
}

export function devTokenRouter(options: DevTokenOptions): express.Router {
  const router = express.Router();
  const route = `${options.graphqlRoute.replace(/\/$/, '')}/dev-token`;
  router.post(route, express.json({ limit: options.bodySizeLimit }), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { role?: unknown; claims?: unknown };
    const claims = body.claims ?? {};
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      res.status(400).json({ error: { message: 'claims must be a JSON object' } });
      return;
    }
    if (body.role !== undefined && typeof body.role !== 'string') {
      res.status(400).json({ error: { message: 'role must be a string' } });
      return;
    }
    const attributes: Record<string, unknown> = { ...(claims as Record<string, unknown>) };
    if (body.role) attributes.role = body.role;
    try {
      res.json({ token: options.sign(attributes) });
    } catch (err) {
      res.status(400).json({ error: { message: (err as Error).message } });
    }
  });
  return router;
}
