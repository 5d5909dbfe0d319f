// The shape of .data/demo-credentials.json, written by the seed and read by the test stack.
export interface DemoCredentials {
  webUrl: string;
  relayUrl: string;
  appId: string;
  secretKey: { id: string; secret: string };
  publishableKey: string;
  dashboard: { email: string; password: string };
}
