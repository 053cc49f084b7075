// Composition root: builds the pieces (supervisor, status bar, chat, approvals, commands) and wires
// them to the language client. Each concern lives in its own module; this file only connects them.

import * as crypto from 'crypto';
import * as vscode from 'vscode';
import {
  CancellationToken, ExecuteCommandRequest, LanguageClientOptions, RevealOutputChannelOn, ShowMessageRequest,
  CodeActionResolveRequest, WorkDoneProgressBegin, WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import * as editorCommands from './actions/editorCommands';
import { InlineCompletionEvent, OpenAgentApi } from './api';
import { answerShowMessageRequest, ApprovalDialog, ApprovalRecord } from './approvals/handler';
import { ChatController, ChatServer, EditorContext } from './chat/controller';
import { ChatViewProvider, CHAT_VIEW_ID } from './chat/chatView';
import { isChatDelta } from './chat/deltas';
import { completionsEnabledFor, languageEnabled, LanguageSwitches, toggledLanguage } from './completions/gate';
import { needsPreview, withConfirmation } from './edits/preview';
import * as methods from './methods';
import { discoverServer } from './server/discovery';
import { probeServer, pythonExtensionInterpreter, which } from './server/launcher';
import { ServerSupervisor } from './server/supervisor';
import { explicitServerSettings, flatKeys, isServerSetting, runtimeServerSettings } from './settings/serverSettings';
import { modelFromStatus } from './status/model';
import { StatusBar } from './status/statusBar';
import { showStatusMenu } from './status/statusMenu';

const SECTION = 'openagent';

// Kept so deactivate() can wait for the server to shut down cleanly.
let activeSupervisor: ServerSupervisor | undefined;

export function activate(context: vscode.ExtensionContext): OpenAgentApi {
  const output = vscode.window.createOutputChannel('OpenAgent', { log: true });
  const status = new StatusBar('openagent.showStatus');
  const completionEvents = new vscode.EventEmitter<InlineCompletionEvent>();
  const approvalEvents = new vscode.EventEmitter<ApprovalRecord>();
  context.subscriptions.push(output, status, completionEvents, approvalEvents);

  const config = () => vscode.workspace.getConfiguration(SECTION);
  const settingKeys: string[] = Object.keys(
    (context.extension.packageJSON.contributes.configuration[0].properties ?? {}) as Record<string, unknown>,
  ).map(k => k.slice(SECTION.length + 1));
  const inspect = (key: string) => config().inspect(key);
  let sentAtStart = new Set<string>();

  const globalCompletions = () => config().get<boolean>('completion.enabled', true);
  const languageSwitches = () => config().get<LanguageSwitches>('client.completionLanguages', {});
  const refreshCompletionsIndicator = () => {
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    status.setCompletionsOn(languageId ? completionsEnabledFor(languageId, globalCompletions(), languageSwitches())
      : globalCompletions());
  };

  let approvalDialog: ApprovalDialog | undefined;
  const modalDialog: ApprovalDialog = async (title, detail, buttons, close) => {
    const items = buttons.map(b => ({ title: b, isCloseAffordance: b === close }));
    const chosen = await vscode.window.showWarningMessage(title, { modal: true, detail }, ...items);
    return chosen?.title;
  };
  const notify = async (type: number, message: string, buttons: string[]) =>
    type === 1 ? vscode.window.showErrorMessage(message, ...buttons)
      : type === 2 ? vscode.window.showWarningMessage(message, ...buttons)
        : vscode.window.showInformationMessage(message, ...buttons);

  // The chat: controller (behaviour) + webview view (presentation).
  let lastEditor = vscode.window.activeTextEditor;
  const server = (): ChatServer | undefined => {
    const client = supervisor.client;
    return client && {
      executeCommand: (command, args) => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }),
    };
  };
  const chatView = new ChatViewProvider(context.extensionUri, message => void chat.handle(message).catch(reportError));
  const chat = new ChatController(server, chatView, {
    pickConversation: async conversations => (await vscode.window.showQuickPick(
      conversations.map(c => ({ label: c.title || c.conversationId, description: String(c.updatedAt ?? ''), id: c.conversationId })),
      { title: 'OpenAgent: conversations' }))?.id,
    copy: text => Promise.resolve(vscode.env.clipboard.writeText(text)),
    insert: async code => {
      const editor = vscode.window.activeTextEditor ?? lastEditor;
      if (!editor) {
        void vscode.window.showWarningMessage('OpenAgent: open an editor to insert the code into.');
        return;
      }
      await editor.edit(b => b.replace(editor.selection, code));
    },
    currentSelection: () => contextOf(lastEditor),
    setBusy: busy => void vscode.commands.executeCommand('setContext', 'openagent.chatBusy', busy),
  }, () => crypto.randomUUID());
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.onDidChangeActiveTextEditor(editor => {
      if (editor) {
        lastEditor = editor;
      }
      refreshCompletionsIndicator();
    }),
  );

  const clientOptions = (): LanguageClientOptions => {
    const initializationOptions = explicitServerSettings(settingKeys, inspect);
    sentAtStart = new Set(flatKeys(initializationOptions));
    return {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions,
      outputChannel: output,
      traceOutputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        provideInlineCompletionItems: async (document, position, ctx, token, next) => {
          if (!completionsEnabledFor(document.languageId, globalCompletions(), languageSwitches())) {
            return undefined;
          }
          const result = await next(document, position, ctx, token);
          const items = Array.isArray(result) ? result : result?.items ?? [];
          completionEvents.fire({
            uri: document.uri.toString(),
            items: items.map(i => ({ insertText: typeof i.insertText === 'string' ? i.insertText : i.insertText.value, command: i.command?.command })),
          });
          return result;
        },
        // Server commands that stream an answer are shown in the chat view.
        executeCommand: async (command, args, next) => {
          const arg = args[0] as Record<string, unknown> | undefined;
          if (command === methods.CMD_EXPLAIN) {
            return chat.runCommand(command, arg, 'Explain this code');
          }
          if (command === methods.CMD_ASK) {
            return chat.runCommand(command, arg, String(arg?.question ?? 'Ask'));
          }
          if (command === methods.CMD_COMMIT_MESSAGE) {
            return chat.runCommand(command, undefined, 'Commit message for the staged changes');
          }
          return next(command, args);
        },
        resolveCodeAction: async (item, token, next) => {
          const client = supervisor.client;
          if (!client) {
            return next(item, token);
          }
          // Resolved at the protocol level so a large edit can be marked for the refactor preview.
          const request = await client.code2ProtocolConverter.asCodeAction(item, token);
          const resolved = await client.sendRequest(CodeActionResolveRequest.type, request, token);
          if (resolved.edit && needsPreview(resolved.edit, previewLines())) {
            resolved.edit = withConfirmation(resolved.edit, resolved.title);
          }
          return client.protocol2CodeConverter.asCodeAction(resolved, token);
        },
        workspace: {
          handleApplyEdit: async (params, next) => {
            if (needsPreview(params.edit, previewLines())) {
              return next({ ...params, edit: withConfirmation(params.edit, params.label ?? 'OpenAgent edit') }, CancellationToken.None);
            }
            return next(params, CancellationToken.None);
          },
        },
        handleWorkDoneProgress: (token, params, next) => {
          trackModelProgress(String(token), params);
          next(token, params);
        },
      },
    };
  };
  const previewLines = () => config().get<number>('client.previewEditsOverLines', 40);

  // Model loading is reported as $/progress under a token the server creates; follow that token.
  let modelProgressToken: string | undefined;
  const trackModelProgress = (token: string, params: WorkDoneProgressBegin | WorkDoneProgressReport | { kind: 'end' }) => {
    if (params.kind === 'begin' && /loading model/i.test(params.title)) {
      modelProgressToken = token;
      status.setModel({ state: 'loading', model: params.message, progressPercent: params.percentage });
    } else if (token === modelProgressToken && params.kind === 'report') {
      status.setModel({ state: 'loading', progressPercent: params.percentage, progressMessage: params.message });
    } else if (token === modelProgressToken && params.kind === 'end') {
      modelProgressToken = undefined;
      void refreshStatus();
    }
  };
  const refreshStatus = async () => {
    const client = supervisor.client;
    if (client) {
      status.setModel(modelFromStatus(await client.sendRequest(methods.STATUS, {})));
    }
  };

  const supervisor: ServerSupervisor = new ServerSupervisor({
    output,
    discover: () => discoverServer({
      configuredPath: config().get<string>('server.path', ''),
      pythonExtensionInterpreter: () => pythonExtensionInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri),
      which: name => which(name),
    }, probeServer),
    clientOptions,
    configure: client => {
      client.onRequest(ShowMessageRequest.type, params => answerShowMessageRequest(
        params, approvalDialog ?? modalDialog, notify, record => approvalEvents.fire(record)));
      client.onNotification(methods.STATUS_CHANGED, payload => status.setModel(modelFromStatus(payload)));
      client.onNotification(methods.CHAT_DELTA, payload => {
        if (isChatDelta(payload)) {
          chat.onDelta(payload);
        }
      });
    },
    started: client => {
      const commands = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
      void vscode.commands.executeCommand('setContext', 'openagent.canUndoLastTurn', commands.includes(methods.CMD_UNDO_LAST_TURN));
      refreshStatus().catch(reportError);
    },
    phase: (phase, problem) => status.setPhase(phase, problem),
    fatal: message => {
      void vscode.window.showErrorMessage(message, 'Open settings', 'Show logs').then(choice => {
        if (choice === 'Open settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:openagent.openagent server');
        } else if (choice === 'Show logs') {
          output.show();
        }
      });
    },
  });
  activeSupervisor = supervisor;

  function reportError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    output.error(message);
    void vscode.window.showErrorMessage(`OpenAgent: ${message}`, 'Show logs').then(c => c && output.show());
  }

  const executeOnServer = (command: string, args: unknown[]) => {
    const client = supervisor.client;
    if (!client) {
      return Promise.reject(new Error('the server is not running'));
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  };

  const toggleGlobal = async () => {
    await config().update('completion.enabled', !globalCompletions(), vscode.ConfigurationTarget.Global);
  };
  const toggleLanguage = async (languageId: string) => {
    await config().update('client.completionLanguages', toggledLanguage(languageSwitches(), languageId), vscode.ConfigurationTarget.Global);
  };

  const register = (id: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        reportError(err);
        return undefined;
      }
    }));

  register('openagent.restartServer', () => supervisor.restart());
  register('openagent.showLogs', () => output.show());
  register('openagent.toggleCompletions', async () => {
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    const choice = await vscode.window.showQuickPick([
      { label: globalCompletions() ? 'Disable everywhere' : 'Enable everywhere', run: toggleGlobal },
      ...(languageId ? [{ label: `${languageEnabled(languageId, languageSwitches()) ? 'Disable' : 'Enable'} for ${languageId}`, run: () => toggleLanguage(languageId) }] : []),
    ], { title: 'OpenAgent inline completions' });
    await choice?.run();
  });
  register('openagent.showStatus', () => showStatusMenu({
    showLogs: () => output.show(),
    restart: () => supervisor.restart(),
    toggleGlobal,
    toggleLanguage,
    completionsOn: globalCompletions,
    languageOn: id => languageEnabled(id, languageSwitches()),
    showDetails: async () => {
      const client = supervisor.client;
      const details = client ? await client.sendRequest(methods.STATUS, {}) : { state: status.view.word, note: 'the server is not running' };
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(details, null, 2) });
      await vscode.window.showTextDocument(doc, { preview: true });
    },
  }, status.view.tooltip.split('\n')[0]));

  register(methods.CMD_ASK_PROMPT, async (arg?: unknown) => {
    const target = editorCommands.targetFromArgs(arg, vscode.window.activeTextEditor);
    const question = await editorCommands.askForQuestion();
    if (!question) {
      return undefined; // the user closed the box: nothing is asked
    }
    return chat.runCommand(methods.CMD_ASK, { ...(target ? { uri: target.uri, range: target.range } : {}), question }, question);
  });
  register('openagent.explainSelection', (arg?: unknown) => {
    const target = editorCommands.targetFromArgs(arg, vscode.window.activeTextEditor);
    if (!target) {
      throw new Error('select some code to explain');
    }
    return chat.runCommand(methods.CMD_EXPLAIN, { uri: target.uri, range: target.range }, `Explain ${target.label}`);
  });
  const editCommand = (id: string, action: editorCommands.EditAction) => register(id, async (arg?: unknown) => {
    const target = editorCommands.targetFromArgs(arg, vscode.window.activeTextEditor);
    if (!target) {
      throw new Error('open a file and select the code first');
    }
    const applied = await editorCommands.runEditAction(action, target, executeOnServer);
    if (!applied) {
      void vscode.window.showInformationMessage('OpenAgent: the edit was not applied.');
    }
    return applied;
  });
  editCommand('openagent.addDocstring', 'docstring');
  editCommand('openagent.writeTests', 'tests');
  editCommand('openagent.fixSelection', 'fix');
  register('openagent.generateCommitMessage', async () => {
    const outcome = await chat.runCommand(methods.CMD_COMMIT_MESSAGE, undefined, 'Commit message for the staged changes');
    if (outcome?.ok && outcome.text) {
      setScmInput(outcome.text.trim());
    }
    return outcome;
  });
  register('openagent.undoLastAgentTurn', async () => {
    const confirm = await vscode.window.showWarningMessage('Undo the last agent turn?',
      { modal: true, detail: 'Files the agent changed in its last turn are restored to how they were before it.' }, 'Undo');
    if (confirm !== 'Undo') {
      return undefined;
    }
    const result = await executeOnServer(methods.CMD_UNDO_LAST_TURN, [{}]);
    void vscode.window.showInformationMessage(`OpenAgent: ${describeUndo(result)}`);
    return result;
  });
  register('openagent.addSelectionToChat', () => {
    const target = contextOf(vscode.window.activeTextEditor);
    if (!target) {
      throw new Error('select some code to add to the chat');
    }
    chat.setContext(target);
    chatView.reveal();
  });
  register('openagent.newChat', () => chat.newChat());
  register('openagent.stopChat', () => chat.stop());
  register('openagent.chatHistory', () => chat.showHistory());

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(event => {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    refreshCompletionsIndicator();
    if (event.affectsConfiguration(`${SECTION}.server.path`)) {
      void supervisor.restart();
      return;
    }
    const serverChanged = settingKeys.filter(isServerSetting).some(k => event.affectsConfiguration(`${SECTION}.${k}`));
    const client = supervisor.client;
    if (serverChanged && client) {
      void client.sendNotification('workspace/didChangeConfiguration', {
        settings: runtimeServerSettings(settingKeys, inspect, sentAtStart),
      });
    }
  }));

  refreshCompletionsIndicator();
  void supervisor.start();

  return {
    client: () => supervisor.client,
    status: { current: () => status.view, onDidChange: status.onDidChange },
    completions: { onDidProvide: completionEvents.event },
    chat: {
      send: text => chat.send(text),
      stop: () => chat.stop(),
      snapshot: () => chatView.snapshot(),
      onDidFinish: listener => chat.onDidFinish(listener),
    },
    approvals: { useDialog: dialog => { approvalDialog = dialog; }, onDidAsk: approvalEvents.event },
  };
}

export function deactivate(): Promise<void> | undefined {
  const supervisor = activeSupervisor;
  activeSupervisor = undefined;
  return supervisor?.stop();
}

function contextOf(editor: vscode.TextEditor | undefined): EditorContext | undefined {
  if (!editor || editor.selection.isEmpty) {
    return undefined;
  }
  const target = editorCommands.selectionTarget(editor);
  return target && { uri: target.uri, range: target.range, label: target.label };
}

interface GitApi { repositories: { inputBox: { value: string } }[] }

function setScmInput(message: string): void {
  const git = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
  const repo = git?.isActive ? git.exports.getAPI(1).repositories[0] : undefined;
  if (repo) {
    repo.inputBox.value = message;
  }
}

function describeUndo(result: unknown): string {
  const r = result as { message?: unknown; files?: unknown[] } | undefined;
  if (typeof r?.message === 'string') {
    return r.message;
  }
  return Array.isArray(r?.files) ? `restored ${r!.files.length} file(s)` : 'the last agent turn was undone';
}
