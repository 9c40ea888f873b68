export * from './episodic.events';
export * from './episodic.decider';
export * from './episodic.dto';
export * from './episodic-event.entity';
export * from './episodic.projection';
export * from './episodic.queries';
export * from './episodic.operations';
export * from './episodic.block';
export { EpisodicEvents1763769600200 } from './migrations/1763769600200-episodic-events';
