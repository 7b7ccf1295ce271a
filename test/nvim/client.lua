-- Drives LossLint's language server from Neovim's own LSP client (Neovim 0.7, `vim.lsp.start_client`),
-- on the buffer nvim was started with, and writes what the user would see as JSON:
--   diagnostics (as vim.diagnostic holds them), the hover on the first one, the code actions offered
--   for it, which one was applied, the diagnostics after the fix was applied and the file written,
--   and every error the server logged or showed.
-- Run: nvim --headless --clean -n -c 'luafile test/nvim/client.lua' FILE.py
-- Environment: LOSSLINT_NODE, LOSSLINT_SERVER (dist/server.js), LOSSLINT_OUT (the JSON file),
--              LOSSLINT_FIX_PREFIX (title prefix of the quick fix to apply), LOSSLINT_TIMEOUT_MS.
local node = assert(os.getenv('LOSSLINT_NODE'), 'LOSSLINT_NODE is not set')
local server = assert(os.getenv('LOSSLINT_SERVER'), 'LOSSLINT_SERVER is not set')
local out_path = assert(os.getenv('LOSSLINT_OUT'), 'LOSSLINT_OUT is not set')
local fix_prefix = os.getenv('LOSSLINT_FIX_PREFIX') or ''
local timeout = tonumber(os.getenv('LOSSLINT_TIMEOUT_MS') or '20000')

local result = { nvim = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch, server_errors = {} }

local function plain(d)
  local lsp = (d.user_data and d.user_data.lsp) or {}
  return {
    lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
    severity = d.severity, message = d.message, source = d.source,
    code = d.code or lsp.code,
  }
end

local function record_message(kind)
  return function(_, params)
    -- MessageType.Error is 1.
    if params and params.type == 1 then table.insert(result.server_errors, kind .. ': ' .. params.message) end
  end
end

local function run()
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local client_id = vim.lsp.start_client({
    name = 'losslint',
    cmd = { node, server, '--stdio' },
    root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p:h'),
    handlers = {
      ['window/logMessage'] = record_message('logMessage'),
      ['window/showMessage'] = record_message('showMessage'),
    },
    on_exit = function(code, signal) result.server_exit = { code = code, signal = signal } end,
  })
  assert(client_id, 'vim.lsp.start_client returned nil')
  -- Sends initialize, then didOpen for this buffer.
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)

  local diagnostics = {}
  result.diagnostics_arrived = vim.wait(timeout, function()
    diagnostics = vim.diagnostic.get(bufnr)
    return #diagnostics > 0
  end, 20)
  result.diagnostics = vim.tbl_map(plain, diagnostics)
  result.server_name = client.server_capabilities and client.name
  result.initialized = client.server_capabilities ~= nil

  local first = diagnostics[1]
  if first then
    local position = { line = first.lnum, character = first.col }
    local hover = client.request_sync('textDocument/hover', { textDocument = { uri = uri }, position = position }, timeout, bufnr)
    result.hover = hover and hover.result
    -- The request `vim.lsp.buf.code_action()` sends with the cursor on the finding: the line's
    -- diagnostics, converted back to LSP form by Neovim itself.
    local actions = client.request_sync('textDocument/codeAction', {
      textDocument = { uri = uri },
      range = { start = position, ['end'] = position },
      context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, first.lnum) },
    }, timeout, bufnr)
    result.code_actions = {}
    local chosen
    for _, action in ipairs((actions and actions.result) or {}) do
      table.insert(result.code_actions, action.title)
      if not chosen and fix_prefix ~= '' and vim.startswith(action.title, fix_prefix) then chosen = action end
    end
    if chosen then
      result.applied = chosen.title
      vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or 'utf-16')
      vim.cmd('silent write')
      -- The server re-lints after didChange and publishes again; wait until the finding is gone.
      local code = first.code
      result.fix_cleared = vim.wait(timeout, function()
        for _, d in ipairs(vim.diagnostic.get(bufnr)) do
          if (d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)) == code then return false end
        end
        return true
      end, 20)
      result.diagnostics_after_fix = vim.tbl_map(plain, vim.diagnostic.get(bufnr))
    end
  end

  vim.lsp.stop_client(client_id)
  result.server_stopped = vim.wait(5000, function() return result.server_exit ~= nil end, 20)
end

local ok, err = pcall(run)
if not ok then result.error = tostring(err) end
local f = assert(io.open(out_path, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd(ok and 'qall!' or 'cquit 3')
