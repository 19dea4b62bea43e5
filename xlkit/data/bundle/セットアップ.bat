@echo off
rem xlkit {{XLKIT_VERSION}} offline setup, written by `xlkit bundle`. Running it again upgrades or repairs.
rem Kept free of parenthesised blocks: a path with ")" (Program Files (x86)) would end one early.
setlocal EnableExtensions DisableDelayedExpansion
if not defined LOCALAPPDATA goto :no_localappdata
set "XLKIT_HOME={{HOME}}"
set "XLKIT_VENV={{VENV}}"
set "XLKIT_PY={{INTERPRETER}}"
set "XLKIT_EXE={{VENV}}\Scripts\xlkit.exe"
set "XLKIT_LOG={{HOME}}\セットアップ.log"
echo.
echo xlkit {{XLKIT_VERSION}}（xlwings {{XLWINGS_VERSION}}）をこの PC のあなたのユーザーに入れます。
echo 入れる場所: "%XLKIT_HOME%"
echo このフォルダ: "%~dp0"
echo.
if not exist "%~dp0{{LOCK}}" goto :no_bundle
if not exist "%~dp0{{WHEELS}}\" goto :no_bundle
if not exist "%XLKIT_HOME%\" mkdir "%XLKIT_HOME%"
if not exist "%XLKIT_HOME%\" goto :no_home
rem a failed redirection leaves ERRORLEVEL as it was: only || sees it
>>"%XLKIT_LOG%" echo ==== セットアップ xlkit {{XLKIT_VERSION}} %DATE% %TIME% ==== || goto :no_home

rem a supported 64-bit Python: the py launcher first (newest first), then python on PATH. One from
rem the Microsoft Store (under WindowsApps) is passed over: it redirects writes in %%LOCALAPPDATA%%
rem to its own copy, so the venv would not be where the registers look for it.
set "BASE_PY="
for %%V in ({{PYTHONS_NEWEST_FIRST}}) do call :try_launcher %%V
if not defined BASE_PY call :try_path
if not defined BASE_PY goto :no_python
set "PYVER="
for /f "usebackq delims=" %%M in (`%BASE_PY% -c "import sys; print(*sys.version_info[:2], sep='.')"`) do set "PYVER=%%M"
echo 使う Python: %BASE_PY%（%PYVER%）
rem redirection first: a version ending in a digit right before >> must stay text
>>"%XLKIT_LOG%" echo 使う Python: %BASE_PY% %PYVER%

rem the venv is kept when the same minor version made it; another one's is made anew
if not exist "%XLKIT_PY%" goto :make_venv
"%XLKIT_PY%" -c "import sys; sys.exit(0 if '{}.{}'.format(*sys.version_info[:2]) == '%PYVER%' else 1)" >nul 2>&1
if not errorlevel 1 goto :install
echo 前の環境が別の版の Python のものか、壊れているため、作り直します。
rmdir /s /q "%XLKIT_VENV%"
if exist "%XLKIT_VENV%\" goto :venv_busy
:make_venv
echo Python の環境を作っています…
%BASE_PY% -m venv "%XLKIT_VENV%">>"%XLKIT_LOG%" 2>&1
if errorlevel 1 goto :venv_failed
if not exist "%XLKIT_PY%" goto :venv_failed

:install
echo wheel を入れています（数分かかることがあります）…
rem pip sees the bundle's wheels and nothing else: no pip.ini, no PIP_* variable of the PC
{{PIP_ENVIRONMENT}}
"%XLKIT_PY%" {{INSTALL_ARGS}}>>"%XLKIT_LOG%" 2>&1
if errorlevel 1 goto :install_failed
if not exist "%XLKIT_EXE%" goto :install_failed
echo xlkit {{XLKIT_VERSION}} を入れました。
echo.
echo ---- 診断（xlkit doctor）----
"%XLKIT_EXE%" doctor
echo.
echo ============================================================
echo セットアップが終わりました。
echo.
echo 新しい登録簿（ボタン付き）を作るとき:
echo   "%XLKIT_EXE%" new "登録簿.xlsm"
echo 今ある登録簿を、この xlkit に合わせて更新するとき（Excel で閉じてから）:
echo   "%XLKIT_EXE%" upgrade "登録簿.xlsm"
echo.
echo 登録簿のボタンは "%XLKIT_PY%" で動きます。
echo 記録: "%XLKIT_LOG%"
echo ============================================================
call :finish %1
exit /b 0

:try_launcher
if defined BASE_PY exit /b 0
py -%1-64 -c "{{PYTHON_CHECK}}" >nul 2>&1
if not errorlevel 1 set "BASE_PY=py -%1-64"
exit /b 0

:try_path
python -c "{{PYTHON_CHECK}}" >nul 2>&1
if not errorlevel 1 set "BASE_PY=python"
exit /b 0

:finish
if /i not "%~1"=="/nopause" pause
exit /b 0

:no_localappdata
echo エラー: 環境変数 LOCALAPPDATA がありません。ふだん使うユーザーでサインインして実行してください。
goto :failed

:no_bundle
echo エラー: このフォルダに「{{LOCK}}」か「{{WHEELS}}」フォルダがありません。
echo バンドルのフォルダを丸ごとコピーし、その中のセットアップ.bat を実行してください。
goto :failed

:no_home
echo エラー: "%XLKIT_HOME%" を作れないか、書き込めません。
echo ディスクの空きと、そのフォルダの権限を確かめてください。
goto :failed

:no_python
echo エラー: 使える Python が見つかりません。
echo python.org の Windows 64 ビット版の Python（{{PYTHONS_LISTED}} のどれか）を、
echo 「Install for all users」のチェックを外して（管理者の権限なしで）入れてから、もう一度実行してください。
echo 詳しくは「はじめにお読みください.txt」を見てください。
goto :failed

:venv_busy
echo エラー: "%XLKIT_VENV%" を消せませんでした。
echo 登録簿のボタンや xlkit を使っている Excel・コマンドプロンプトを閉じてから、もう一度実行してください。
goto :failed

:venv_failed
echo エラー: Python の環境（"%XLKIT_VENV%"）を作れませんでした。記録: "%XLKIT_LOG%"
goto :failed

:install_failed
echo エラー: wheel を入れられませんでした。記録: "%XLKIT_LOG%"
echo 登録簿を開いている Excel があれば閉じて、もう一度実行してください。
echo それでも止まるときは、無害化の途中でファイルが変わっていないか、確認.bat で確かめてください。
goto :failed

:failed
echo.
echo セットアップは途中で止まりました。この画面の内容を区政情報課のシステム担当に伝えてください。
call :finish %1
exit /b 1
