import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The token listing: one row per token id the log records, issued or revoked. A token revoked
 * without ever being recorded as issued has only its id and revocation: the rest is null.
 */
@Entity('auth_tokens')
export class TokenEntry {
  @PrimaryColumn('text', { name: 'token_id' })
  tokenId: string;

  @Column('text', { nullable: true })
  tenant: string | null;

  @Column('text', { nullable: true })
  agent: string | null;

  @Column('jsonb', { nullable: true })
  namespaces: string[] | null;

  @Column('jsonb', { nullable: true })
  ops: string[] | null;

  @Column('timestamptz', { name: 'issued_at', nullable: true })
  issuedAt: Date | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** The issuance's sequence in the log; listings are in this order. */
  @Column('bigint', { name: 'issued_seq', nullable: true })
  issuedSeq: string | null;

  /** The revocation's sequence in the log; null while the token is not revoked. */
  @Column('bigint', { name: 'revoked_seq', nullable: true })
  revokedSeq: string | null;

  @Column('text', { name: 'revoked_reason', nullable: true })
  revokedReason: string | null;
}
