// Cognito's JSON API, called straight from the browser, and the SRP-6a exchange of USER_SRP_AUTH, so the
// password never leaves the browser.

import { loadConfig } from "./config.js";

export class CognitoError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "CognitoError";
    this.code = code;
  }
}

export async function cognito(operation, body) {
  const { cognitoIdpEndpoint } = await loadConfig();
  let response;
  try {
    response = await fetch(cognitoIdpEndpoint, {
      method: "POST",
      credentials: "omit",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new CognitoError("NetworkError", `The sign-in service could not be reached (${error.message}); check your connection.`);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(data.__type || response.headers.get("x-amzn-ErrorType") || "Error").split(/[#:]/).filter(Boolean).pop();
    throw new CognitoError(code, data.message || data.Message || `The sign-in service answered ${response.status}.`);
  }
  return data;
}

/** The text a trigger refused with ("PreSignUp failed with error X." becomes "X."). */
export function triggerMessage(error) {
  return error.code === "UserLambdaValidationException"
    ? error.message.replace(/^\w+ failed with error /, "").replace(/\.\.$/, ".")
    : error.message;
}

const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
const N = BigInt(`0x${N_HEX}`);
const G = 2n;
const encoder = new TextEncoder();

function modPow(base, exponent, modulus) {
  let result = 1n;
  base = ((base % modulus) + modulus) % modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

// Cognito hashes numbers as big-endian two's complement: an even count of hex digits, and a leading 00
// byte when the top bit is set.
function padHex(value) {
  const hex = value.toString(16);
  const even = hex.length % 2 ? `0${hex}` : hex;
  return /^[89a-f]/i.test(even) ? `00${even}` : even;
}

function hexBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
}

function bytesHex(bytes) {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function hashHex(hex) {
  return bytesHex(await sha256(hexBytes(hex)));
}

async function hmac(key, message) {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, message));
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

function unbase64(text) {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function randomBigInt(bytes) {
  return BigInt(`0x${bytesHex(crypto.getRandomValues(new Uint8Array(bytes)))}`);
}

let multiplier = null;
function k() {
  multiplier ??= hashHex(padHex(N) + padHex(G)).then((hex) => BigInt(`0x${hex}`));
  return multiplier;
}

/** Cognito's TIMESTAMP: "Tue Mar 5 09:04:05 UTC 2024", the day without a leading zero. */
export function srpTimestamp(now = new Date()) {
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][now.getUTCDay()];
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][now.getUTCMonth()];
  const time = [now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds()].map((n) => String(n).padStart(2, "0"));
  return `${day} ${month} ${now.getUTCDate()} ${time.join(":")} UTC ${now.getUTCFullYear()}`;
}

/** One SRP exchange: `start()` gives SRP_A, `answer(challengeParameters)` the PASSWORD_VERIFIER responses. */
export function srpClient({ userPoolId, password }) {
  const poolName = userPoolId.split("_")[1];
  let a;
  do a = randomBigInt(128) % N;
  while (a === 0n);
  const A = modPow(G, a, N);
  return {
    srpA: A.toString(16),
    async answer({ USER_ID_FOR_SRP: userId, SRP_B, SALT, SECRET_BLOCK }) {
      const B = BigInt(`0x${SRP_B}`);
      if (B % N === 0n) throw new CognitoError("NotAuthorizedException", "The sign-in service sent an invalid challenge.");
      const u = BigInt(`0x${await hashHex(padHex(A) + padHex(B))}`);
      if (u === 0n) throw new CognitoError("NotAuthorizedException", "The sign-in service sent an invalid challenge.");
      const inner = bytesHex(await sha256(encoder.encode(`${poolName}${userId}:${password}`)));
      const x = BigInt(`0x${await hashHex(padHex(BigInt(`0x${SALT}`)) + inner)}`);
      const S = modPow(B - (await k()) * modPow(G, x, N), a + u * x, N);
      const prk = await hmac(hexBytes(padHex(u)), hexBytes(padHex(S)));
      const key = (await hmac(prk, concat(encoder.encode("Caldera Derived Key"), new Uint8Array([1])))).slice(0, 16);
      const timestamp = srpTimestamp();
      const message = concat(encoder.encode(poolName), encoder.encode(userId), unbase64(SECRET_BLOCK), encoder.encode(timestamp));
      return {
        USERNAME: userId,
        TIMESTAMP: timestamp,
        PASSWORD_CLAIM_SECRET_BLOCK: SECRET_BLOCK,
        PASSWORD_CLAIM_SIGNATURE: base64(await hmac(key, message)),
      };
    },
  };
}

function base64url(bytes) {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier) {
  return base64url(await sha256(encoder.encode(verifier)));
}
