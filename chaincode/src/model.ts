// Data classes describing the JSON the contracts return (contract metadata for clients and tools).
// Transactions take and return JSON strings; these classes document the shapes.
import { Object as DataType, Property } from 'fabric-contract-api';

@DataType()
export class Node {
  @Property() public nodeId: string = '';
  @Property() public actorUrl: string = '';
  @Property() public cluster: string = '';
  @Property() public organisation: string = '';
  @Property() public joinedAt: string = '';
  @Property() public updatedAt: string = '';
  @Property() public txId: string = '';
}

@DataType()
export class Subscription {
  @Property() public nodeId: string = '';
  @Property() public month: string = '';
  @Property() public pseudonym: string = '';
  @Property() public amount: number = 0;
  @Property() public currency: string = '';
  @Property() public kind: string = '';
  @Property() public status: string = '';
  @Property() public recordedAt: string = '';
  @Property() public txId: string = '';
}

@DataType()
export class ArtistTotal {
  @Property() public artist: string = '';
  @Property() public seconds: number = 0;
  @Property() public plays: number = 0;
}

@DataType()
export class Report {
  @Property() public nodeId: string = '';
  @Property() public day: string = '';
  @Property() public month: string = '';
  @Property() public version: number = 0;
  @Property() public reportKey: string = '';
  @Property() public hash: string = '';
  @Property('artistTotals', 'ArtistTotal[]') public artistTotals: ArtistTotal[] = [];
  @Property() public rowCount: number = 0;
  @Property() public submittedAt: string = '';
  @Property() public txId: string = '';
}

@DataType()
export class ArtistPayout {
  @Property() public artist: string = '';
  @Property() public amount: number = 0;
}

@DataType()
export class Statement {
  @Property() public nodeId: string = '';
  @Property() public month: string = '';
  @Property() public currency: string = '';
  @Property() public policy: string = '';
  @Property() public subscriptions: number = 0;
  @Property() public grossTotal: number = 0;
  @Property() public creditsIn: number = 0;
  @Property() public nodeFeeTotal: number = 0;
  @Property('payouts', 'ArtistPayout[]') public payouts: ArtistPayout[] = [];
  @Property() public payoutTotal: number = 0;
  @Property() public rolledOver: number = 0;
  @Property() public toNodeTotal: number = 0;
  @Property() public refundedTotal: number = 0;
  @Property() public heldTotal: number = 0;
  @Property() public hash: string = '';
  @Property() public closedAt: string = '';
  @Property() public txId: string = '';
}

@DataType()
export class Reviewer {
  @Property() public nodeId: string = '';
  @Property() public role: string = '';
  @Property() public organisation: string = '';
  @Property() public assignedAt: string = '';
  @Property() public deadline: string = '';
}

@DataType()
export class Dispute {
  @Property() public disputeId: string = '';
  @Property() public nodeId: string = '';
  @Property() public month: string = '';
  @Property() public amount: number = 0;
  @Property() public evidenceHash: string = '';
  @Property() public status: string = '';
  @Property('reviewers', 'Reviewer[]') public reviewers: Reviewer[] = [];
  @Property() public openedAt: string = '';
  @Property() public deadline: string = '';
}
