import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { FourKeysOptions, FourKeysQuery, FourKeysSecrets } from './types';

export const plugin = new DataSourcePlugin<DataSource, FourKeysQuery, FourKeysOptions, FourKeysSecrets>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
