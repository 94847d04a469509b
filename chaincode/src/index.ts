// 9ten chaincode entry: the contracts Fabric (and the embedded ledger engine) load.
import './model.js';

import { DisputeContract } from './dispute-contract.js';
import { IncomeContract } from './income-contract.js';
import { InvestmentContract } from './investment-contract.js';
import { MonthCloseContract } from './month-close-contract.js';
import { NodeRegistryContract } from './node-registry-contract.js';
import { ReportContract } from './report-contract.js';
import { SubscriptionContract } from './subscription-contract.js';

export { DisputeContract, IncomeContract, InvestmentContract, MonthCloseContract, NodeRegistryContract, ReportContract, SubscriptionContract };
export { rowsCollection } from './lib/ledger.js';
export { allocate, canonicalJson, canonicalReportRows, investorRowsHash, reportRowsHash, sha256Hex, splitSubscription, topArtists } from './vendor/money/index.js';

export const contracts: any[] = [NodeRegistryContract, SubscriptionContract, ReportContract, MonthCloseContract, DisputeContract, IncomeContract, InvestmentContract];
