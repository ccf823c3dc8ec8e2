import { screen } from '@testing-library/react';

import { renderSettingsEditor, Settings } from '../test/editor';
import { ConfigEditor } from './ConfigEditor';
import { MLflowSettings } from './MLflowSettings';

function setup(patch: Partial<Settings> = {}, Editor: typeof MLflowSettings | typeof ConfigEditor = MLflowSettings) {
  return renderSettingsEditor(Editor, patch);
}

const server: Partial<Settings> = { jsonData: { mlflow: { url: 'http://mlflow:5000' } } };

describe('MLflowSettings', () => {
  it('keeps a typed tracking server in jsonData.mlflow.url', async () => {
    const { last, user } = setup();

    await user.type(screen.getByRole('textbox', { name: /Tracking server/ }), 'http://mlflow:5000');

    expect(last().jsonData).toEqual({ mlflow: { url: 'http://mlflow:5000' } });
  });

  it('asks for the credentials under Authentication rather than in the address', async () => {
    const { user } = setup();
    const address = screen.getByRole('textbox', { name: /Tracking server/ });

    await user.type(address, 'http://mlflow:5000');
    expect(screen.queryByText(/Leave the username and password out/)).not.toBeInTheDocument();
    await user.clear(address);
    await user.type(address, 'http://ana:pa55word@mlflow:5000');

    expect(screen.getByText(/Leave the username and password out/)).toBeInTheDocument();
  });

  it('turns the demo off by default once a tracking server is set', async () => {
    const { user } = setup({}, ConfigEditor);
    expect(screen.getByRole('switch', { name: /Demo events/ })).toBeChecked();

    await user.type(screen.getByRole('textbox', { name: /Tracking server/ }), ' ');
    expect(screen.getByRole('switch', { name: /Demo events/ })).toBeChecked();
    await user.type(screen.getByRole('textbox', { name: /Tracking server/ }), 'http://m');

    expect(screen.getByRole('switch', { name: /Demo events/ })).not.toBeChecked();
  });

  it('asks for a username and a password for basic authentication, and sends the password as a secret', async () => {
    const { last, user } = setup(server);
    expect(screen.queryByLabelText(/Password/)).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Username and password' }));
    await user.type(screen.getByRole('textbox', { name: 'Username' }), 'reader');
    await user.type(screen.getByLabelText(/Password/), 'pa55word');

    expect(screen.queryByPlaceholderText('dapi…')).not.toBeInTheDocument();
    expect(last().jsonData.mlflow).toEqual({ url: 'http://mlflow:5000', auth: 'basic', username: 'reader' });
    expect(last().secureJsonData).toEqual({ mlflowPassword: 'pa55word' });
    expect(JSON.stringify(last().jsonData)).not.toContain('pa55word');
  });

  it('shows a saved password as configured without its value, and clears it on reset', async () => {
    // A value still in memory after saving must not reach the page either.
    const { last, view, user } = setup({
      jsonData: { mlflow: { url: 'http://mlflow:5000', auth: 'basic', username: 'reader' } },
      secureJsonFields: { mlflowPassword: true },
      secureJsonData: { mlflowPassword: 'saved-pa55word' },
    });

    const password = screen.getByLabelText(/Password/);
    expect(password).toHaveValue('configured');
    expect(password).toBeDisabled();
    expect(view.container.innerHTML).not.toContain('saved-pa55word');

    await user.click(screen.getByRole('button', { name: 'Reset' }));

    expect(last().secureJsonFields).toEqual({ mlflowPassword: false });
    expect(last().secureJsonData).toEqual({ mlflowPassword: '' });
    expect(screen.getByLabelText(/Password/)).toBeEnabled();
  });

  it('asks for a token for bearer authentication and sends it as a secret', async () => {
    const { last, user } = setup(server);
    expect(screen.queryByPlaceholderText('dapi…')).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Bearer token' }));
    await user.type(screen.getByPlaceholderText('dapi…'), 'dapi0typed');

    expect(screen.queryByLabelText(/Password/)).not.toBeInTheDocument();
    expect(last().jsonData.mlflow).toEqual({ url: 'http://mlflow:5000', auth: 'bearer' });
    expect(last().secureJsonData).toEqual({ mlflowToken: 'dapi0typed' });
  });

  it('shows a saved token as configured without its value', () => {
    const { view } = setup({
      jsonData: { mlflow: { url: 'http://mlflow:5000', auth: 'bearer' } },
      secureJsonFields: { mlflowToken: true },
    });

    const token = screen.getByPlaceholderText('dapi…');
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    expect(view.container.innerHTML).not.toContain('dapi0');
  });

  it('keeps experiments, registered models and production aliases as lists', async () => {
    const { last, user } = setup(server);

    await user.type(screen.getByRole('textbox', { name: /Experiments/ }), '/Users/ana/churn{Enter}42{Enter}');
    await user.type(screen.getByRole('textbox', { name: /Registered models/ }), 'churn-model{Enter}');
    await user.type(screen.getByRole('textbox', { name: /Production aliases/ }), 'live{Enter}');

    expect(last().jsonData.mlflow).toEqual({
      url: 'http://mlflow:5000',
      experiments: ['/Users/ana/churn', '42'],
      models: ['churn-model'],
      productionAliases: ['live'],
    });
  });

  it('leaves a list out once its last entry is removed, so that the default applies', async () => {
    const { last, user } = setup({
      jsonData: { mlflow: { url: 'http://mlflow:5000', productionAliases: ['live', 'prod'] } },
    });

    await user.click(screen.getByRole('button', { name: 'Remove tag: live' }));
    expect(last().jsonData.mlflow?.productionAliases).toEqual(['prod']);
    await user.click(screen.getByRole('button', { name: 'Remove tag: prod' }));

    expect(last().jsonData.mlflow).toEqual({ url: 'http://mlflow:5000' });
  });

  it('stores the numbers of the Advanced section as numbers, and leaves a cleared one out', async () => {
    const { last, user } = setup(server);
    expect(screen.queryByRole('spinbutton', { name: /Page size/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Advanced' }));
    await user.type(screen.getByRole('spinbutton', { name: /Alias check/ }), '30');
    await user.type(screen.getByRole('spinbutton', { name: /Timeout/ }), '90');
    await user.type(screen.getByRole('spinbutton', { name: /Page size/ }), '200');

    expect(last().jsonData.mlflow).toEqual({
      url: 'http://mlflow:5000',
      pollSeconds: 30,
      timeoutSeconds: 90,
      pageSize: 200,
    });

    await user.clear(screen.getByRole('spinbutton', { name: /Page size/ }));
    expect(last().jsonData.mlflow).not.toHaveProperty('pageSize');
  });

  it('says when a number is out of the range the backend accepts', async () => {
    const { user } = setup(server);
    await user.click(screen.getByRole('button', { name: 'Advanced' }));

    await user.type(screen.getByRole('spinbutton', { name: /Timeout/ }), '900');
    await user.type(screen.getByRole('spinbutton', { name: /Alias check/ }), '0');

    await user.type(screen.getByRole('spinbutton', { name: /Page size/ }), '60000');

    expect(screen.getByText('At most 300')).toBeInTheDocument();
    expect(screen.getByText('At most 50000')).toBeInTheDocument();
    expect(screen.getByText('At least 1')).toBeInTheDocument();
  });

  it('stores the stage, baseline and deployment time tag of the Advanced section', async () => {
    const { last, user } = setup(server);
    await user.click(screen.getByRole('button', { name: 'Advanced' }));

    await user.type(screen.getByRole('textbox', { name: /Production stage/ }), '-');
    await user.type(screen.getByRole('textbox', { name: /Baseline alias/ }), 'first');
    await user.type(screen.getByRole('textbox', { name: /Baseline tag/ }), 'is_baseline');
    await user.type(screen.getByRole('textbox', { name: /Deployment time tag/ }), 'went_live');

    expect(last().jsonData.mlflow).toEqual({
      url: 'http://mlflow:5000',
      legacyStage: '-',
      baselineAlias: 'first',
      baselineTag: 'is_baseline',
      deployedAtTag: 'went_live',
    });
    expect(screen.queryByRole('textbox', { name: /directory/i })).toBeNull();

    await user.clear(screen.getByRole('textbox', { name: /Baseline alias/ }));
    expect(last().jsonData.mlflow).not.toHaveProperty('baselineAlias');
  });

  it('maps experiments and registered models to services, row by row', async () => {
    const { last, user } = setup(server);

    await user.click(screen.getByRole('button', { name: /Add service mapping/ }));
    await user.type(screen.getByRole('textbox', { name: 'Experiment or model' }), '/Users/ana/churn');
    await user.type(screen.getByRole('textbox', { name: 'Service' }), 'churn');
    await user.click(screen.getByRole('button', { name: /Add service mapping/ }));
    await user.type(screen.getAllByRole('textbox', { name: 'Experiment or model' })[1], 'churn-model');
    await user.type(screen.getAllByRole('textbox', { name: 'Service' })[1], 'churn');

    expect(last().jsonData.mlflow?.services).toEqual({ '/Users/ana/churn': 'churn', 'churn-model': 'churn' });

    // A row without its service yet is kept on screen but not saved.
    await user.click(screen.getByRole('button', { name: /Add service mapping/ }));
    await user.type(screen.getAllByRole('textbox', { name: 'Experiment or model' })[2], 'fraud');
    expect(last().jsonData.mlflow?.services).toEqual({ '/Users/ana/churn': 'churn', 'churn-model': 'churn' });
    expect(screen.getAllByRole('textbox', { name: 'Experiment or model' })[2]).toHaveValue('fraud');

    await user.click(screen.getByRole('button', { name: 'Remove service mapping 1' }));
    expect(last().jsonData.mlflow?.services).toEqual({ 'churn-model': 'churn' });
    expect(screen.getAllByRole('textbox', { name: 'Experiment or model' }).map((e) => e.getAttribute('value'))).toEqual(
      ['churn-model', 'fraud']
    );
  });

  it('shows saved services as rows and leaves the mapping out once every row is removed', async () => {
    const { last, user } = setup({
      jsonData: { mlflow: { url: 'http://mlflow:5000', services: { '/Users/ana/churn': 'churn' } } },
    });

    expect(screen.getByRole('textbox', { name: 'Experiment or model' })).toHaveValue('/Users/ana/churn');
    expect(screen.getByRole('textbox', { name: 'Service' })).toHaveValue('churn');

    await user.click(screen.getByRole('button', { name: 'Remove service mapping 1' }));

    expect(last().jsonData.mlflow).toEqual({ url: 'http://mlflow:5000' });
    expect(screen.queryByRole('textbox', { name: 'Service' })).not.toBeInTheDocument();
  });

  it('warns when a name is mapped twice', async () => {
    const { last, user } = setup({
      jsonData: { mlflow: { url: 'http://mlflow:5000', services: { 'churn-model': 'churn' } } },
    });

    await user.click(screen.getByRole('button', { name: /Add service mapping/ }));
    await user.type(screen.getAllByRole('textbox', { name: /Experiment or model/ })[1], 'churn-model');
    await user.type(screen.getAllByRole('textbox', { name: 'Service' })[1], 'retention');

    expect(screen.getByText('Named again below; the last row counts')).toBeInTheDocument();
    expect(last().jsonData.mlflow?.services).toEqual({ 'churn-model': 'retention' });
  });
});
