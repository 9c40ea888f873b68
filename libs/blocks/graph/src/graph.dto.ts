import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, Matches, Min, ValidateNested } from 'class-validator';
import { Describe, IsDerivedFrom, IsIsoTime, IsNamespace } from '@memsidecar/api';
import type { Props } from './graph.events';

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ID_MESSAGE = { message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' };
const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const NAME_MESSAGE = { message: 'must be 1-64 characters of [A-Za-z0-9_.:-]' };
const MAX_ITEMS = 1000;
const MAX_LABELS = 32;
const MAX_FILTER = 64;

export type GraphDirection = 'out' | 'in' | 'both';
const DIRECTIONS = ['out', 'in', 'both'];

/** An optional list of up to 1000 node or edge ids. */
const IsIdList =
  () =>
  (target: object, property: string): void => {
    for (const decorate of [IsOptional(), IsArray(), ArrayMaxSize(MAX_ITEMS), Matches(ID, { each: true, ...ID_MESSAGE })]) decorate(target, property);
  };

export class NodeDto {
  @Matches(ID, ID_MESSAGE)
  id: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LABELS)
  @Matches(NAME, { each: true, ...NAME_MESSAGE })
  labels?: string[];

  /** A JSON object; replaces the node's properties whole. */
  @IsOptional()
  @IsObject()
  props?: Props;
}

export class EdgeDto {
  /** Generated when absent. */
  @IsOptional()
  @Matches(ID, ID_MESSAGE)
  id?: string;

  @Matches(NAME, NAME_MESSAGE)
  type: string;

  @Describe('the id of the node the edge leaves: stored already or upserted in the same request')
  @Matches(ID, ID_MESSAGE)
  from: string;

  @Describe('the id of the node the edge enters: stored already or upserted in the same request')
  @Matches(ID, ID_MESSAGE)
  to: string;

  @IsOptional()
  @IsObject()
  props?: Props;

  /** Default: the time of the request. */
  @IsOptional()
  @IsIsoTime()
  validFrom?: string;

  @IsOptional()
  @IsIsoTime()
  validTo?: string;

  @Describe("the id of an edge whose validity closes at this edge's validFrom")
  @IsOptional()
  @Matches(ID, ID_MESSAGE)
  supersedes?: string;
}

export class GraphUpsertInput {
  @IsNamespace()
  ns: string;

  /** Up to 1000; with the edges, at least one item. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => NodeDto)
  nodes?: NodeDto[];

  /** Up to 1000. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => EdgeDto)
  edges?: EdgeDto[];

  /** Applies to every node and edge of the upsert. */
  @IsDerivedFrom()
  derivedFrom?: number[];
}

export class GraphGetInput {
  @IsNamespace()
  ns: string;

  @IsIdList()
  nodeIds?: string[];

  @IsIdList()
  edgeIds?: string[];

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class GraphNeighborsInput {
  @IsNamespace()
  ns: string;

  @Matches(ID, ID_MESSAGE)
  id: string;

  /** Default `both`. */
  @IsOptional()
  @IsIn(DIRECTIONS)
  direction?: GraphDirection;

  @Describe('only edges of these types')
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FILTER)
  @Matches(NAME, { each: true, ...NAME_MESSAGE })
  edgeTypes?: string[];

  @Describe('only neighbours carrying at least one of these labels')
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FILTER)
  @Matches(NAME, { each: true, ...NAME_MESSAGE })
  nodeLabels?: string[];

  /** Default 100 (the configured list default), at most the configured list maximum. */
  @IsOptional()
  @IsInt()
  @Min(1)
  limit?: number;

  @Describe('follow the edges valid at this time instead of now')
  @IsOptional()
  @IsIsoTime()
  asOf?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class GraphTraverseInput {
  @IsNamespace()
  ns: string;

  @Matches(ID, ID_MESSAGE)
  startId: string;

  /** Default `out`. */
  @IsOptional()
  @IsIn(DIRECTIONS)
  direction?: GraphDirection;

  @Describe('how many edges away from the start node to go (default and maximum configured; more is clamped)')
  @IsOptional()
  @IsInt()
  @Min(1)
  depth?: number;

  @Describe('the most nodes to return, the start node included (default and maximum configured; more is clamped)')
  @IsOptional()
  @IsInt()
  @Min(1)
  maxNodes?: number;

  @Describe('the most edges followed from each node, by edge id (default and maximum configured; more is clamped)')
  @IsOptional()
  @IsInt()
  @Min(1)
  fanOut?: number;

  @Describe('only edges of these types')
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_FILTER)
  @Matches(NAME, { each: true, ...NAME_MESSAGE })
  edgeTypes?: string[];

  @Describe('follow the edges valid at this time instead of now')
  @IsOptional()
  @IsIsoTime()
  asOf?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class GraphDeleteInput {
  @IsNamespace()
  ns: string;

  @IsIdList()
  nodeIds?: string[];

  @IsIdList()
  edgeIds?: string[];

  @Describe("delete the nodes' edges with them; without it a node that has edges is refused")
  @IsOptional()
  @IsBoolean()
  cascade?: boolean;
}
