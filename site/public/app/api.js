// The portal's backend API (config.apiUrl, cross-origin): no cookies, the bearer token instead.

import { loadConfig } from "./config.js";
import { getToken } from "./auth.js";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function apiUrl(path) {
  const { apiUrl: base } = await loadConfig();
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

export async function api(path, { method = "GET", body, headers = {}, auth = true, signal } = {}) {
  const request = { method, headers: { Accept: "application/json", ...headers }, signal, credentials: "omit" };
  if (body !== undefined) {
    const raw = body instanceof Blob || body instanceof FormData || typeof body === "string";
    request.body = raw ? body : JSON.stringify(body);
    if (!raw) request.headers["Content-Type"] = "application/json";
  }
  if (auth) {
    const token = await getToken();
    if (token) request.headers.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(await apiUrl(path), request);
  } catch (error) {
    throw new ApiError(0, `The portal's API could not be reached (${error.message}); check your connection.`, null);
  }
  const data = parse(await response.text());
  if (!response.ok) {
    const message = data && typeof data === "object" && data.message ? data.message : `The portal's API answered ${response.status}.`;
    throw new ApiError(response.status, message, data);
  }
  return data;
}
