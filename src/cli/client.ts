/** Where client commands find the admin API unless told otherwise. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8081";

/** An error the CLI reports as `Error: <message>` with a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The admin API answered with an error: AWS's `x-amzn-ErrorType` and `{"message"}`. */
export class AdminApiError extends CliError {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(`${message} [${type}]`);
  }
}

export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (an OpenAPI document), with `contentType`. */
  rawBody?: string;
  contentType?: string;
  accept?: string;
  query?: Record<string, string | number | boolean | undefined>;
}

/** A page of an API Gateway collection. */
interface Page<T> {
  item?: T[];
  position?: string;
}

/**
 * The one HTTP helper of the CLI: calls the admin API with the bearer token and turns AWS-shaped
 * errors and unreachable servers into `CliError`s that say what went wrong.
 *
 * @example
 *   const apis = await client.listAll<RestApi>("/restapis");
 */
export class AdminClient {
  constructor(
    readonly endpoint: string,
    private readonly token: string,
  ) {}

  /** Sends a request and returns the parsed JSON body (undefined for empty bodies). */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.send(method, path, options);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request and returns the body as text (exports). */
  async text(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return this.send(method, path, options);
  }

  /** Every item of a collection, following `position` from page to page. */
  async listAll<T>(path: string, query: RequestOptions["query"] = {}): Promise<T[]> {
    const items: T[] = [];
    let position: string | undefined;
    do {
      const page = await this.request<Page<T>>("GET", path, { query: { ...query, limit: 500, position } });
      items.push(...(page?.item ?? []));
      position = page?.position;
    } while (position);
    return items;
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<string> {
    const url = new URL(path, this.endpoint);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: options.accept ?? "application/json",
    };
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers["content-type"] = options.contentType ?? "application/json";
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `Cannot reach the admin API at ${this.endpoint} (${cause?.code ?? cause?.message ?? String(error)}). ` +
          "Is `tollgate serve` running? Set --endpoint or TOLLGATE_ENDPOINT to point elsewhere.",
      );
    }
    const text = await response.text();
    if (!response.ok) throw errorOf(response, text);
    return text;
  }
}

function errorOf(response: Response, text: string): AdminApiError {
  let message = text || response.statusText;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: keep the text.
  }
  const type = response.headers.get("x-amzn-errortype")?.split(":")[0] ?? `HTTP ${response.status}`;
  return new AdminApiError(response.status, type, message);
}
