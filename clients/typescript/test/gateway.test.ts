// The client against a running gateway (CID_GATEWAY_URL; tokens from CID_BIN, the cid binary):
// `make client-check` runs it inside tests/contract/with-system.sh.
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { test } from "node:test";
import { CidError, createCidClient, newIdempotencyKey, unwrap } from "../src/index.js";

const baseUrl = process.env.CID_GATEWAY_URL ?? "http://127.0.0.1:8080";
const cidBin = process.env.CID_BIN ?? "cid";
const token = (sub: string, role: string) =>
  execFileSync(cidBin, ["token", "--sub", sub, "--role", role], { encoding: "utf8" }).trim();

const service = createCidClient({ baseUrl, token: token("ts-client-test", "service") });

async function registerCustomer(): Promise<string> {
  const created = await unwrap(
    service.POST("/api/customer-id/customers", {
      body: { userId: `ts-${newIdempotencyKey()}`, userType: "buyer", name: "Sara", birthDate: "1990-02-28" },
    }),
  );
  assert.match(created.customerId, /^CID-\d{4}-\d{6}$/);
  return created.customerId;
}

test("a customer is registered, credited once for a retried write, and reads their balance", async () => {
  const customerId = await registerCustomer();
  const key = newIdempotencyKey();
  const earn = () =>
    service.POST("/api/customer-id/loyalty/{customerId}/points", {
      params: { path: { customerId }, header: { "Idempotency-Key": key } },
      body: { purchaseAmount: 250, orderId: `ORDER-${key}` },
    });
  const first = await unwrap(earn());
  // The same key again (a retry after a lost answer) replays the first answer.
  const again = await earn();
  assert.equal(again.response.headers.get("Idempotency-Replay"), "true");
  assert.equal(again.data?.data.balance, first.balance);

  const me = createCidClient({ baseUrl, token: () => token(customerId, "customer") });
  const account = await unwrap(
    me.GET("/api/customer-id/loyalty/{customerId}", { params: { path: { customerId } } }),
  );
  assert.equal(account.customerId, customerId);
  assert.equal(account.points, first.balance);
  assert.ok(account.points > 0);
});

test("problems become CidErrors with their code, fields and request ID", async () => {
  const customerId = await registerCustomer();
  await assert.rejects(
    unwrap(
      service.POST("/api/customer-id/loyalty/{customerId}/points", {
        params: { path: { customerId } },
        body: { purchaseAmount: -5, orderId: "ORDER-NEG" },
      }),
    ),
    (e: unknown) => {
      assert.ok(e instanceof CidError);
      assert.equal(e.status, 400);
      assert.equal(e.code, "VALIDATION_FAILED");
      assert.ok("purchaseAmount" in e.fieldErrors, JSON.stringify(e.problem));
      assert.ok(e.requestId.length > 0);
      return true;
    },
  );

  // Another customer's account is refused; without a token, so is everything protected.
  const other = createCidClient({ baseUrl, token: token(await registerCustomer(), "customer") });
  const forbidden = await other.GET("/api/customer-id/loyalty/{customerId}", {
    params: { path: { customerId } },
  });
  assert.equal(forbidden.error?.code, "FORBIDDEN");
  const anonymous = createCidClient({ baseUrl });
  await assert.rejects(
    unwrap(anonymous.GET("/api/customer-id/loyalty/{customerId}", { params: { path: { customerId } } })),
    (e: unknown) => e instanceof CidError && e.status === 401,
  );
});

test("the language option asks for Arabic problem details", async () => {
  const arabic = createCidClient({ baseUrl, language: "ar" });
  const english = createCidClient({ baseUrl, language: "en" });
  const path = "/api/customer-id/loyalty/{customerId}" as const;
  const params = { path: { customerId: "CID-2026-000001" } };
  const [ar, en] = await Promise.all([arabic.GET(path, { params }), english.GET(path, { params })]);
  assert.equal(ar.error?.code, en.error?.code);
  // The title is the code's fixed English summary; the detail is in the caller's language.
  assert.equal(ar.error?.title, en.error?.title);
  assert.match(ar.error?.detail ?? "", /[\u0600-\u06FF]/);
  assert.doesNotMatch(en.error?.detail ?? "", /[\u0600-\u06FF]/);
});
