// A typed client for the Customer ID System's gateway. The paths, parameters and bodies come
// from the gateway's OpenAPI document (src/schema.ts, generated: `npm run generate`); this file
// adds what every call shares: the token, the language, the `{success, data}` envelope and
// problem+json errors.
import createFetchClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
/** Every error answer (RFC 9457 problem+json), e.g. `code: "VALIDATION_FAILED"`. */
export type Problem = components["schemas"]["Problem"];
/** One invalid field of a VALIDATION_FAILED problem. */
export type FieldError = components["schemas"]["FieldErrorBody"];
export type CidClient = Client<paths>;

export interface CidClientOptions {
  /** The gateway's origin, e.g. `https://api.marketplace.example`; paths start with `/api/customer-id`. */
  baseUrl: string;
  /** The caller's JWT, or a function asked before every request (to refresh it). */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** The language of problem titles and details (and of texts that have two). */
  language?: "ar" | "en";
  /** Another fetch (tests, older runtimes). */
  fetch?: typeof globalThis.fetch;
}

/**
 * A client whose `GET`, `POST`, `PUT`, `PATCH` and `DELETE` take the document's paths and check
 * parameters and bodies at compile time. Each answers `{ data, error, response }`; pass the
 * call to {@link unwrap} to get the result or a {@link CidError}.
 */
export function createCidClient(options: CidClientOptions): CidClient {
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    fetch: options.fetch,
  });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = typeof options.token === "function" ? await options.token() : options.token;
      if (token && !request.headers.has("Authorization")) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      if (options.language && !request.headers.has("Accept-Language")) {
        request.headers.set("Accept-Language", options.language);
      }
      return request;
    },
  };
  client.use(auth);
  return client;
}

/** A problem answer from the gateway or a service, with its parts at hand. */
export class CidError extends Error {
  readonly status: number;
  /** The stable code, e.g. `INSUFFICIENT_POINTS`; the `type` URI ends with it. */
  readonly code: string;
  readonly problem: Problem;
  /** Seconds to wait before retrying (429, 503), when the answer said. */
  readonly retryAfter?: number;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = "CidError";
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    const after = Number(response.headers.get("Retry-After"));
    if (response.headers.has("Retry-After") && Number.isFinite(after)) this.retryAfter = after;
  }

  /** The request's ID, for support and the logs. */
  get requestId(): string {
    return this.problem.requestId;
  }

  /** Field → message of a VALIDATION_FAILED problem (empty for the others). */
  get fieldErrors(): Record<string, string> {
    return Object.fromEntries((this.problem.errors ?? []).map((e) => [e.field, e.message]));
  }
}

type Answer = { data?: unknown; error?: unknown; response: Response };
type Data<R extends Answer> = NonNullable<R["data"]> extends { data: infer T } ? T : undefined;

/**
 * The `data` of a successful answer, or a thrown {@link CidError}:
 * `const account = await unwrap(cid.GET("/api/customer-id/loyalty/{customerId}", { params }))`.
 */
export async function unwrap<R extends Answer>(call: Promise<R>): Promise<Data<R>> {
  const { data, error, response } = await call;
  if (response.ok) {
    return (data as { data?: unknown } | undefined)?.data as Data<R>;
  }
  throw new CidError(asProblem(error, response), response);
}

/** An answer that is not problem+json (a proxy's page, say) still becomes a problem. */
function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === "object" && "code" in error && "status" in error) {
    return error as Problem;
  }
  const detail = typeof error === "string" && error ? error.slice(0, 200) : response.statusText;
  return {
    success: false,
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail,
    code: response.status >= 500 ? "SERVICE_UNAVAILABLE" : "HTTP_ERROR",
    error: detail,
    requestId: response.headers.get("X-Request-Id") ?? "",
  };
}

/** A fresh `Idempotency-Key`: send the same one again when retrying the same write. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}
