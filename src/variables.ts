import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { FourKeysQuery } from './types';

/**
 * FourKeysVariableSupport makes a query variable out of a values query: the
 * distinct services, teams, environments, change types or models.
 */
export class FourKeysVariableSupport extends CustomVariableSupport<DataSource, FourKeysQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<FourKeysQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.map((t) => ({
      ...t,
      refId: t.refId || 'values',
      queryType: 'values' as const,
      dimension: t.dimension ?? 'service',
    }));
    return this.datasource.query({ ...request, targets });
  }
}
