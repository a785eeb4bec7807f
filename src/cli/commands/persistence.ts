import type { Command } from 'commander';
import { registerDelete } from './persistence/delete.js';
import { registerDoctor } from './persistence/doctor.js';
import { registerExport } from './persistence/export.js';
import { registerImport } from './persistence/import.js';
import { registerList } from './persistence/list.js';
import { registerMigrate } from './persistence/migrate.js';
import { registerResume } from './persistence/resume.js';
import { registerShow } from './persistence/show.js';
import { addExamples } from '../help-text.js';

export function registerPersistenceCommands(program: Command): void {
  const group = program.command('persistence').description('stored conversations: resume, list, show, export, import, delete, migrate, doctor');
  addExamples(group, ['threadline persistence list --db ./threadline.db', 'threadline persistence show user-123-main']);
  for (const register of [registerResume, registerList, registerShow, registerExport, registerImport, registerDelete, registerMigrate, registerDoctor]) {
    register(group);
  }
}
