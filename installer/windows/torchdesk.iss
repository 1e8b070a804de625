; Inno Setup script for TorchDesk on Windows (Inno Setup 6.3 or later: `x64compatible` needs 6.3).
;
; Not built or run by this project's CI (it has no Windows machine); written against the Inno Setup help
; (jrsoftware.org/ishelp). Build the bundle on Windows first, then compile this script there:
;
;   python installer\build.py
;   iscc /DAppVersion=0.1.0 installer\windows\torchdesk.iss
;
; -> dist\TorchDesk-0.1.0-setup.exe. Installs per user by default (no UAC prompt, into
; %LOCALAPPDATA%\Programs\TorchDesk); the first page lets an administrator choose "all users" instead.
; The uninstaller removes exactly what Setup installed (Inno Setup's own uninstall log); environments, logs and
; settings TorchDesk made while running stay.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  ; The one-folder bundle build.py makes, relative to this script.
  #define BundleDir "..\..\dist\torchdesk"
#endif

[Setup]
; AppId identifies the install for upgrades and uninstall: never change it between releases.
AppId={{6A3C2F0E-5B8D-4C61-9E27-3D1F4B7A90C5}
AppName=TorchDesk
AppVersion={#AppVersion}
AppVerName=TorchDesk {#AppVersion}
AppPublisher=TorchDesk
DefaultDirName={autopf}\TorchDesk
DefaultGroupName=TorchDesk
DisableProgramGroupPage=yes
; Per-user install by default; the dialog (and /ALLUSERS, /CURRENTUSER) lets the user switch.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
; The bundle holds x64 binaries only.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=TorchDesk-{#AppVersion}-setup
SetupIconFile=torchdesk.ico
UninstallDisplayIcon={app}\torchdesk-gui.exe
UninstallDisplayName=TorchDesk
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
; Ask a running TorchDesk to close before files are replaced.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: torchdesk-gui.exe (the app), torchdesk.exe (the command line) and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\TorchDesk"; Filename: "{app}\torchdesk-gui.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\TorchDesk"; Filename: "{app}\torchdesk-gui.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\torchdesk-gui.exe"; Description: "{cm:LaunchProgram,TorchDesk}"; Flags: nowait postinstall skipifsilent
