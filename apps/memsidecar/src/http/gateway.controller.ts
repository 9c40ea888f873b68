import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCodes, isMemError, type MemError } from '@memsidecar/core';
import { Dispatcher } from '@memsidecar/api';
import { httpHeaders } from './request-headers';

/**
 * The HTTP/JSON gateway: `POST /v1/<block>/<op>` (`upload.begin` is `/v1/artifact/upload.begin`)
 * with the same JSON bodies as NATS, the token in `Authorization`, the contract's status codes and
 * error body; streaming operations answer with newline-delimited JSON.
 */
@Controller('v1')
export class GatewayController {
  constructor(private readonly dispatcher: Dispatcher) {}

  @Post(':block/:op')
  async call(@Param('block') block: string, @Param('op') op: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const name = `${block}.${op}`;
    const body = typeof req.body === 'string' ? req.body : undefined;
    try {
      if (!this.dispatcher.isStreaming(name)) {
        res.status(200).json(await this.dispatcher.dispatch(name, body, httpHeaders(req), 'http'));
        return;
      }
      let started = false;
      await this.dispatcher.dispatchStream(name, body, httpHeaders(req), 'http', async (item) => {
        if (!started) {
          res.status(200).type('application/x-ndjson');
          started = true;
        }
        res.write(`${JSON.stringify(item)}\n`);
      });
      if (!started) res.status(200).type('application/x-ndjson');
      res.end();
    } catch (e) {
      const error = e as MemError;
      if (res.headersSent) {
        res.end(`${JSON.stringify({ error: isMemError(error) ? error.toBody() : { code: 'INTERNAL', message: String(e) } })}\n`);
        return;
      }
      res.status(isMemError(error) ? ErrorCodes[error.code] : 500).json({ error: isMemError(error) ? error.toBody() : { code: 'INTERNAL', message: 'internal error' } });
    }
  }
}
