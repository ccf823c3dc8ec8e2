import { DataSourceInstanceSettings, DataSourceSettings, PluginMetaInfo, PluginType } from '@grafana/data';

import { DataSource } from '../datasource';
import { FourKeysOptions, FourKeysSecrets } from '../types';

const info: PluginMetaInfo = {
  author: { name: 'test' },
  description: '',
  links: [],
  logos: { small: '', large: '' },
  screenshots: [],
  updated: '',
  version: '',
};

/** instanceSettings makes the settings a data source instance is built from. */
export function instanceSettings(jsonData: FourKeysOptions = {}): DataSourceInstanceSettings<FourKeysOptions> {
  // Fields that Grafana marks deprecated (id, database) are left out on purpose.
  return {
    uid: 'fourkeys-test',
    type: 'mlops-fourkeys-datasource',
    name: 'ML Four Keys',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: {
      id: 'mlops-fourkeys-datasource',
      name: 'ML Four Keys',
      type: PluginType.datasource,
      module: '',
      baseUrl: '',
      info,
    },
  } as DataSourceInstanceSettings<FourKeysOptions>;
}

/** newDataSource builds a data source on test settings. */
export function newDataSource(jsonData: FourKeysOptions = {}): DataSource {
  return new DataSource(instanceSettings(jsonData));
}

/** dataSourceSettings makes the object the config editor edits, as Grafana hands it over. */
export function dataSourceSettings(
  patch: Partial<DataSourceSettings<FourKeysOptions, FourKeysSecrets>> = {}
): DataSourceSettings<FourKeysOptions, FourKeysSecrets> {
  return {
    id: 1,
    uid: 'fourkeys-test',
    orgId: 1,
    name: 'ML Four Keys',
    type: 'mlops-fourkeys-datasource',
    typeName: 'ML Four Keys',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData: {},
    secureJsonFields: {},
    ...patch,
  } as DataSourceSettings<FourKeysOptions, FourKeysSecrets>;
}
