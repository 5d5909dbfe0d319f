// A local HTTP stand-in of the handful of Stripe API endpoints Tollgate uses, for the real `stripe` SDK
// (pointed here with its host/port/protocol options) in tests without internet. Like Stripe, it keeps
// every POST's Idempotency-Key and answers a repeat with the first response, declines included.
// Test payment methods behave like Stripe's test cards: pm_card_visa succeeds, pm_card_chargeDeclined
// declines (card_declined / generic_decline), pm_card_insufficientFunds declines (insufficient_funds).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, string>;
}

interface StoredResponse {
  status: number;
  body: unknown;
}

const CARDS: Record<string, { brand: string; last4: string; decline?: { code: string; declineCode: string; message: string } }> = {
  pm_card_visa: { brand: "visa", last4: "4242" },
  pm_card_mastercard: { brand: "mastercard", last4: "4444" },
  pm_card_chargeDeclined: { brand: "visa", last4: "0002", decline: { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." } },
  pm_card_insufficientFunds: { brand: "visa", last4: "9995", decline: { code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." } },
};

export interface StripeStandIn {
  location: { host: string; port: number; protocol: "http" };
  requests: StandInRequest[];
  /** Attaches a test payment method to a customer, as confirming a SetupIntent in the browser would. */
  attach(paymentMethodId: keyof typeof CARDS, customerId: string): void;
  /** Marks a SetupIntent succeeded with a test card, as Stripe.js confirming it in the browser would. */
  confirmSetupIntent(setupIntentId: string, paymentMethodId: keyof typeof CARDS): void;
  /** A PaymentIntent as Stripe stores it (for webhook payloads). */
  paymentIntent(id: string): Record<string, unknown> | undefined;
  paymentIntents(): Record<string, unknown>[];
  setupIntent(id: string): Record<string, unknown> | undefined;
  /** Refunds made in Stripe's dashboard (not through the API), for charge.refunded tests. */
  refundInDashboard(paymentIntentId: string, amountMinor: number): string;
  customers(): Record<string, unknown>[];
  stop(): Promise<void>;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Form fields, with `metadata[key]` flattened to `metadata.key` and `expand[0]` to `expand`. */
function formParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) params[key.replace(/\[(\w+)\]$/, ".$1").replace(/\[\d*\]$/, "")] = value;
  return params;
}

function metadataOf(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([key]) => key.startsWith("metadata.")).map(([key, value]) => [key.slice("metadata.".length), value]));
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const requests: StandInRequest[] = [];
  const idempotent = new Map<string, StoredResponse>();
  const customers = new Map<string, Record<string, unknown>>();
  const paymentMethods = new Map<string, Record<string, unknown>>();
  const paymentIntents = new Map<string, Record<string, unknown>>();
  const setupIntents = new Map<string, Record<string, unknown>>();
  const refunds = new Map<string, Record<string, unknown>>();

  function paymentMethod(id: string): Record<string, unknown> | undefined {
    const card = CARDS[id];
    if (!card) return undefined;
    const existing = paymentMethods.get(id);
    if (existing) return existing;
    const created = { id, object: "payment_method", type: "card", customer: null, card: { brand: card.brand, last4: card.last4 } };
    paymentMethods.set(id, created);
    return created;
  }

  function notFoundError(id: string): StoredResponse {
    return { status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", message: `No such object: '${id}'` } } };
  }

  function createRefund(paymentIntentId: string, amount: number): StoredResponse {
    const intent = paymentIntents.get(paymentIntentId);
    if (!intent || intent.status !== "succeeded") return notFoundError(paymentIntentId);
    const refund = { id: newId("re"), object: "refund", amount, currency: "usd", payment_intent: paymentIntentId, status: "succeeded" };
    refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  function post(path: string, params: Record<string, string>): StoredResponse {
    if (path === "/v1/customers") {
      const customer = { id: newId("cus"), object: "customer", name: params.name ?? null, metadata: metadataOf(params) };
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (path === "/v1/setup_intents") {
      const id = newId("seti");
      const intent = { id, object: "setup_intent", client_secret: `${id}_secret_${randomBytes(8).toString("hex")}`, customer: params.customer ?? null, status: "requires_payment_method", usage: params.usage, payment_method: null, metadata: metadataOf(params) };
      setupIntents.set(id, intent);
      return { status: 200, body: intent };
    }
    if (path === "/v1/payment_intents") {
      const method = paymentMethod(params.payment_method ?? "");
      if (!method) return notFoundError(params.payment_method ?? "");
      if (method.customer !== params.customer) {
        return { status: 400, body: { error: { type: "invalid_request_error", message: "The provided PaymentMethod belongs to another Customer" } } };
      }
      const id = newId("pi");
      const decline = CARDS[method.id as string]?.decline;
      const intent: Record<string, unknown> = {
        id,
        object: "payment_intent",
        amount: Number(params.amount),
        currency: params.currency,
        customer: params.customer,
        payment_method: method.id,
        description: params.description ?? null,
        metadata: metadataOf(params),
        status: decline ? "requires_payment_method" : "succeeded",
        latest_charge: decline ? null : newId("ch"),
        last_payment_error: decline ? { type: "card_error", code: decline.code, decline_code: decline.declineCode, message: decline.message } : null,
      };
      paymentIntents.set(id, intent);
      if (!decline) return { status: 200, body: intent };
      return { status: 402, body: { error: { type: "card_error", code: decline.code, decline_code: decline.declineCode, message: decline.message, payment_intent: intent } } };
    }
    if (path === "/v1/refunds") return createRefund(params.payment_intent ?? "", Number(params.amount));
    return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (POST: ${path})` } } };
  }

  function get(path: string, query: URLSearchParams): StoredResponse {
    const [, , resource, id] = path.split("/");
    if (resource === "payment_methods" && id) {
      const method = paymentMethod(id);
      return method ? { status: 200, body: method } : notFoundError(id);
    }
    if (resource === "setup_intents" && id) {
      const intent = setupIntents.get(id);
      if (!intent) return notFoundError(id);
      const expand = query.getAll("expand[]").concat(query.getAll("expand[0]"));
      const method = typeof intent.payment_method === "string" && expand.includes("payment_method") ? paymentMethod(intent.payment_method) : intent.payment_method;
      return { status: 200, body: { ...intent, payment_method: method } };
    }
    if (resource === "refunds" && !id) {
      const data = [...refunds.values()].filter((refund) => refund.payment_intent === query.get("payment_intent"));
      return { status: 200, body: { object: "list", data, has_more: false, url: "/v1/refunds" } };
    }
    return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (GET: ${path})` } } };
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      const text = await readBody(req);
      const idempotencyKey = typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : null;
      const params = formParams(req.method === "GET" ? url.search.slice(1) : text);
      requests.push({ method: req.method ?? "GET", path: url.pathname, idempotencyKey, params });
      let response: StoredResponse;
      let replayed = false;
      if (req.method === "POST") {
        const stored = idempotencyKey ? idempotent.get(`${url.pathname}\n${idempotencyKey}`) : undefined;
        replayed = stored !== undefined;
        response = stored ?? post(url.pathname, params);
        if (idempotencyKey && !stored) idempotent.set(`${url.pathname}\n${idempotencyKey}`, response);
      } else {
        response = get(url.pathname, url.searchParams);
      }
      res.writeHead(response.status, { "content-type": "application/json", "request-id": newId("req"), ...(replayed ? { "idempotent-replayed": "true" } : {}) });
      res.end(JSON.stringify(response.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    location: { host: "127.0.0.1", port, protocol: "http" },
    requests,
    attach(paymentMethodId, customerId) {
      const method = paymentMethod(paymentMethodId);
      if (method) method.customer = customerId;
    },
    confirmSetupIntent(setupIntentId, paymentMethodId) {
      const intent = setupIntents.get(setupIntentId);
      if (!intent) throw new Error(`no SetupIntent ${setupIntentId}`);
      const method = paymentMethod(paymentMethodId);
      if (method) method.customer = intent.customer;
      intent.status = "succeeded";
      intent.payment_method = paymentMethodId;
    },
    paymentIntent: (id) => paymentIntents.get(id),
    paymentIntents: () => [...paymentIntents.values()],
    setupIntent: (id) => setupIntents.get(id),
    refundInDashboard(paymentIntentId, amountMinor) {
      const created = createRefund(paymentIntentId, amountMinor);
      if (created.status !== 200) throw new Error(`cannot refund ${paymentIntentId}`);
      return (created.body as { id: string }).id;
    },
    customers: () => [...customers.values()],
    stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
