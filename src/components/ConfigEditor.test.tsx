import { screen } from '@testing-library/react';

import { renderSettingsEditor, Settings } from '../test/editor';
import { ConfigEditor } from './ConfigEditor';

function setup(patch: Partial<Settings> = {}) {
  return renderSettingsEditor(ConfigEditor, patch);
}

const savedFeed: Partial<Settings> = {
  jsonData: { demo: false, feed: { url: 'https://events.example.com/feed', auth: 'bearer' } },
  secureJsonFields: { feedToken: true },
};

describe('ConfigEditor', () => {
  it('reads the demo while no feed is set up', () => {
    setup();

    expect(screen.getByRole('switch', { name: /Demo events/ })).toBeChecked();
  });

  it('keeps a feed URL in jsonData, and the demo then defaults to off', async () => {
    const { last, user } = setup();

    await user.type(screen.getByRole('textbox', { name: /URL/ }), 'https://feed.test/events');

    expect(last().jsonData).toEqual({ feed: { url: 'https://feed.test/events' } });
    expect(screen.getByRole('switch', { name: /Demo events/ })).not.toBeChecked();
  });

  it('adds the demo to a feed when the user turns it on', async () => {
    const { last, user } = setup({ jsonData: { feed: { url: 'https://f.test' } } });

    await user.click(screen.getByRole('switch', { name: /Demo events/ }));

    expect(last().jsonData).toEqual({ demo: true, feed: { url: 'https://f.test' } });
  });

  it('sends a new token as a secret and never in jsonData', async () => {
    const { last, user } = setup({ jsonData: { demo: false, feed: { url: 'https://f.test', auth: 'bearer' } } });

    await user.type(screen.getByPlaceholderText('Token'), 's3cret');

    expect(last().secureJsonData).toEqual({ feedToken: 's3cret' });
    expect(JSON.stringify(last().jsonData)).not.toContain('s3cret');
  });

  it('shows a saved token as configured without its value', () => {
    const { view } = setup(savedFeed);

    const token = screen.getByPlaceholderText('Token');
    expect(token).toHaveValue('configured');
    expect(token).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Reset' })).toBeInTheDocument();
    expect(view.container.innerHTML).not.toContain('s3cret');
  });

  it('clears a saved token on reset so that a new one can be typed', async () => {
    const { last, user } = setup(savedFeed);

    await user.click(screen.getByRole('button', { name: 'Reset' }));

    expect(last().secureJsonFields).toEqual({ feedToken: false });
    expect(last().secureJsonData).toEqual({ feedToken: '' });
    expect(screen.getByPlaceholderText('Token')).toBeEnabled();
  });

  it('asks for a user and a password for basic authentication', async () => {
    const { last, user } = setup({ jsonData: { demo: false, feed: { url: 'https://f.test' } } });

    await user.click(screen.getByRole('radio', { name: 'Basic' }));
    await user.type(screen.getByRole('textbox', { name: 'User' }), 'reader');
    await user.type(screen.getByPlaceholderText('Password'), 'pw');

    expect(last().jsonData.feed).toEqual({ url: 'https://f.test', auth: 'basic', username: 'reader' });
    expect(last().secureJsonData).toEqual({ feedPassword: 'pw' });
  });

  it('stores the measurement settings as numbers', async () => {
    const { last, user } = setup();

    await user.type(screen.getByRole('textbox', { name: /Production environment/ }), 'prod');
    await user.type(screen.getByRole('spinbutton', { name: /attribution window/ }), '48');
    await user.type(screen.getByRole('spinbutton', { name: /Cache/ }), '60');

    expect(last().jsonData).toEqual({ environment: 'prod', attributionWindowHours: 48, cacheSeconds: 60 });
  });
});
