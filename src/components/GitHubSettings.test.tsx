import { screen, within } from '@testing-library/react';

import { renderSettingsEditor, Settings } from '../test/editor';
import { ConfigEditor } from './ConfigEditor';
import { GitHubSettings } from './GitHubSettings';

function setup(patch: Partial<Settings> = {}, Editor: typeof GitHubSettings | typeof ConfigEditor = GitHubSettings) {
  return renderSettingsEditor(Editor, patch);
}

const oneRepo: Partial<Settings> = { jsonData: { github: { repositories: [{ repo: 'acme/churn-model' }] } } };

describe('GitHubSettings', () => {
  it('keeps a typed repository in jsonData.github.repositories', async () => {
    const { last, user } = setup();

    await user.click(screen.getByRole('button', { name: /Add repository/ }));
    await user.type(screen.getByRole('textbox', { name: 'Repository' }), 'acme/churn-model');
    await user.type(screen.getByRole('textbox', { name: 'Service' }), 'churn');

    expect(last().jsonData).toEqual({ github: { repositories: [{ repo: 'acme/churn-model', service: 'churn' }] } });
  });

  it('turns the demo off by default once a repository is set', async () => {
    const { user } = setup({}, ConfigEditor);
    expect(screen.getByRole('switch', { name: /Demo events/ })).toBeChecked();

    await user.click(screen.getByRole('button', { name: /Add repository/ }));
    expect(screen.getByRole('switch', { name: /Demo events/ })).toBeChecked();
    await user.type(screen.getByRole('textbox', { name: 'Repository' }), 'acme/m');

    expect(screen.getByRole('switch', { name: /Demo events/ })).not.toBeChecked();
  });

  it('sends a new token as a secret and never in jsonData', async () => {
    const { last, user } = setup(oneRepo);

    await user.type(screen.getByPlaceholderText('github_pat_…'), 'github_pat_typed');

    expect(last().secureJsonData).toEqual({ githubToken: 'github_pat_typed' });
    expect(JSON.stringify(last().jsonData)).not.toContain('github_pat_typed');
  });

  it('shows a saved token as configured without its value', async () => {
    // A value still in memory after saving must not reach the page either.
    const { last, view, user } = setup({
      ...oneRepo,
      secureJsonFields: { githubToken: true },
      secureJsonData: { githubToken: 'ghp_saved0value' },
    });

    const token = screen.getByPlaceholderText('github_pat_…');
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    expect(view.container.innerHTML).not.toContain('ghp_saved0value');

    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields).toEqual({ githubToken: false });
    expect(screen.getByPlaceholderText('github_pat_…')).toBeEnabled();
  });

  it('asks for the app id, installation id and private key of a GitHub App', async () => {
    const { last, user } = setup(oneRepo);
    expect(screen.queryByRole('spinbutton', { name: /App ID/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'GitHub App' }));
    await user.type(screen.getByRole('spinbutton', { name: /App ID/ }), '12345');
    await user.type(screen.getByRole('spinbutton', { name: /Installation ID/ }), '678');
    await user.type(screen.getByRole('textbox', { name: /Private key/ }), 'PEM TEXT');

    expect(screen.queryByPlaceholderText('github_pat_…')).not.toBeInTheDocument();
    expect(last().jsonData.github).toEqual({
      auth: 'app',
      appId: 12345,
      installationId: 678,
      repositories: [{ repo: 'acme/churn-model' }],
    });
    expect(last().secureJsonData).toEqual({ githubAppPrivateKey: 'PEM TEXT' });
  });

  it('shows a saved private key as configured without its value', () => {
    setup({
      jsonData: { github: { auth: 'app', appId: 1, installationId: 2 } },
      secureJsonFields: { githubAppPrivateKey: true },
    });

    const key = screen.getByRole('textbox', { name: /Private key/ });
    expect(key).toHaveValue('configured');
    expect(key).toBeDisabled();
  });

  it('asks for the workflow file of workflow-run deployments', async () => {
    const { last, user } = setup(oneRepo);
    expect(screen.queryByRole('textbox', { name: /Workflow file/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Workflow runs' }));
    await user.type(screen.getByRole('textbox', { name: /Workflow file/ }), 'deploy.yml');
    await user.type(screen.getByRole('textbox', { name: /Deploys to/ }), 'staging');

    expect(last().jsonData.github?.repositories).toEqual([
      { repo: 'acme/churn-model', deployments: [{ from: 'workflow', workflow: 'deploy.yml', environment: 'staging' }] },
    ]);
  });

  it('maps GitHub environments for the Deployments API, keeping the text as typed', async () => {
    const { last, user } = setup(oneRepo);

    await user.click(screen.getByRole('radio', { name: 'Deployments API' }));
    const environments = screen.getByRole('textbox', { name: /Environments/ });
    await user.type(environments, 'prod=production,');
    expect(environments).toHaveValue('prod=production,');
    await user.type(environments, ' stg=staging');

    expect(last().jsonData.github?.repositories?.[0].deployments).toEqual([
      { from: 'deployments', environments: { prod: 'production', stg: 'staging' } },
    ]);
  });

  it('maps the paths of a monorepo to services', async () => {
    const { last, user } = setup(oneRepo);

    await user.type(
      screen.getByRole('textbox', { name: /Monorepo paths/ }),
      'models/churn/**=churn, features/**=churn, models/fraud/**=fraud'
    );

    expect(last().jsonData.github?.repositories?.[0].paths).toEqual([
      { globs: ['models/churn/**', 'features/**'], service: 'churn' },
      { globs: ['models/fraud/**'], service: 'fraud' },
    ]);
  });

  it('keeps several deployment rules of a repository, each with its own source', async () => {
    const { last, user } = setup(oneRepo);
    expect(screen.queryByRole('button', { name: /Add a deployment rule/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Releases' }));
    await user.type(screen.getByRole('textbox', { name: /Tag prefix/ }), 'churn/');
    await user.click(screen.getByRole('button', { name: 'Add a deployment rule to repository 1' }));
    const second = screen.getByRole('group', { name: 'Deployment rule 2' });
    expect(within(second).queryByRole('radio', { name: 'None' })).not.toBeInTheDocument();
    await user.click(within(second).getByRole('radio', { name: 'Workflow runs' }));
    await user.type(within(second).getByRole('textbox', { name: /Workflow file/ }), 'deploy.yml');
    await user.type(within(second).getByRole('textbox', { name: /Service deployed/ }), 'fraud');

    expect(last().jsonData.github?.repositories?.[0].deployments).toEqual([
      { from: 'releases', tagPrefix: 'churn/' },
      { from: 'workflow', workflow: 'deploy.yml', service: 'fraud' },
    ]);

    await user.click(screen.getByRole('button', { name: 'Remove deployment rule 1' }));
    expect(last().jsonData.github?.repositories?.[0].deployments).toEqual([
      { from: 'workflow', workflow: 'deploy.yml', service: 'fraud' },
    ]);
    expect(screen.getByRole('textbox', { name: /Workflow file/ })).toHaveValue('deploy.yml');
    expect(screen.queryByRole('button', { name: /Remove deployment rule/ })).not.toBeInTheDocument();
  });

  it('gives a monorepo path the team written after its service', async () => {
    const { last, user } = setup(oneRepo);
    const paths = screen.getByRole('textbox', { name: /Monorepo paths/ });

    await user.type(paths, 'models/churn/**=churn, features/**=churn:growth, models/fraud/**=fraud:risk');

    expect(last().jsonData.github?.repositories?.[0].paths).toEqual([
      { globs: ['models/churn/**', 'features/**'], service: 'churn', team: 'growth' },
      { globs: ['models/fraud/**'], service: 'fraud', team: 'risk' },
    ]);
    expect(paths).toHaveValue('models/churn/**=churn, features/**=churn:growth, models/fraud/**=fraud:risk');
  });

  it('shows the saved team of a monorepo path once, after its first glob', () => {
    setup({
      jsonData: {
        github: {
          repositories: [
            {
              repo: 'acme/ml',
              paths: [{ globs: ['models/churn/**', 'features/**'], service: 'churn', team: 'growth' }],
            },
          ],
        },
      },
    });

    expect(screen.getByRole('textbox', { name: /Monorepo paths/ })).toHaveValue(
      'models/churn/**=churn:growth, features/**=churn'
    );
  });

  it('stores the history, requests at once and timeout of the Advanced section as numbers', async () => {
    const { last, user } = setup(oneRepo);
    expect(screen.queryByRole('spinbutton', { name: /History/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Advanced' }));
    await user.type(screen.getByRole('spinbutton', { name: /History/ }), '60');
    await user.type(screen.getByRole('spinbutton', { name: /Requests at once/ }), '8');
    await user.type(screen.getByRole('spinbutton', { name: /Timeout/ }), '90');

    expect(last().jsonData.github).toEqual({
      repositories: [{ repo: 'acme/churn-model' }],
      historyDays: 60,
      maxInFlight: 8,
      timeoutSeconds: 90,
    });

    await user.clear(screen.getByRole('spinbutton', { name: /Timeout/ }));
    expect(last().jsonData.github?.timeoutSeconds).toBeUndefined();
  });

  it('stops reading deployments when None is chosen, and removes a repository', async () => {
    const { last, user } = setup({
      jsonData: {
        github: {
          repositories: [{ repo: 'acme/a', deployments: [{ from: 'releases' }] }, { repo: 'acme/b' }],
        },
      },
    });

    await user.click(screen.getAllByRole('radio', { name: 'None' })[0]);
    expect(last().jsonData.github?.repositories?.[0]).toEqual({ repo: 'acme/a', deployments: [] });

    await user.click(screen.getByRole('button', { name: 'Remove repository 1' }));
    expect(last().jsonData.github?.repositories).toEqual([{ repo: 'acme/b' }]);
    expect(screen.getByRole('textbox', { name: 'Repository' })).toHaveValue('acme/b');
  });

  it('stores the incident label and the lookback', async () => {
    const { last, user } = setup(oneRepo);

    await user.type(screen.getByRole('textbox', { name: /Incident label/ }), 'outage');
    await user.type(screen.getByRole('spinbutton', { name: /Lookback/ }), '30');

    expect(last().jsonData.github).toEqual({
      repositories: [{ repo: 'acme/churn-model' }],
      incidentLabel: 'outage',
      lookbackDays: 30,
    });
  });
});
