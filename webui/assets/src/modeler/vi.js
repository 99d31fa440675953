/**
 * Vietnamese for the modeler: bpmn-js (palette, context pad, replace menu, messages), the
 * properties panel, and giaoviec's own entries. Terms follow docs/glossary.md (làn, công việc,
 * đôn đốc, leo thang…). Event names are composed (kind × position), in the two spellings
 * bpmn-js uses: "Timer start event" (menus) and "Timer Start Event" (the panel's header).
 */

var EVENT_KINDS = {
  Message: 'thông điệp', Timer: 'hẹn giờ', Conditional: 'điều kiện', Signal: 'tín hiệu',
  Error: 'lỗi', Escalation: 'leo thang', Compensation: 'bù trừ', Compensate: 'bù trừ',
  Cancel: 'hủy', Link: 'nối', Terminate: 'chấm dứt', Multiple: 'nhiều loại',
  'Parallel Multiple': 'song song nhiều loại', Parallel: 'song song'
};

var EVENT_POSITIONS = {
  'start event': 'Sự kiện bắt đầu',
  'end event': 'Sự kiện kết thúc',
  'intermediate catch event': 'Sự kiện trung gian chờ',
  'intermediate throw event': 'Sự kiện trung gian phát',
  'boundary event': 'Sự kiện biên'
};

function titleCase(text) {
  return text.replace(/(^|\s|\()([a-z])/g, function(all, before, letter) { return before + letter.toUpperCase(); });
}

function events() {
  var entries = {};
  function add(english, vietnamese) {
    entries[english] = vietnamese;
    entries[titleCase(english)] = vietnamese;
  }
  Object.keys(EVENT_POSITIONS).forEach(function(position) {
    var name = EVENT_POSITIONS[position];
    add(position.charAt(0).toUpperCase() + position.slice(1), name);
    Object.keys(EVENT_KINDS).forEach(function(kind) {
      var english = kind + ' ' + position;
      add(english, name + ' ' + EVENT_KINDS[kind]);
      add(english + ' (non-interrupting)', name + ' ' + EVENT_KINDS[kind] + ' (không ngắt)');
      // The panel's header spells it "(Non Interrupting)".
      entries[titleCase(english) + ' (Non Interrupting)'] = name + ' ' + EVENT_KINDS[kind] + ' (không ngắt)';
    });
  });
  return entries;
}

var ELEMENTS = {
  'Task': 'Công việc',
  'User task': 'Công việc người dùng',
  'User Task': 'Công việc người dùng',
  'Manual task': 'Công việc thủ công',
  'Manual Task': 'Công việc thủ công',
  'Script task': 'Công việc kịch bản',
  'Script Task': 'Công việc kịch bản',
  'Service task': 'Công việc dịch vụ',
  'Service Task': 'Công việc dịch vụ',
  'Send task': 'Công việc gửi',
  'Send Task': 'Công việc gửi',
  'Receive task': 'Công việc nhận',
  'Receive Task': 'Công việc nhận',
  'Business rule task': 'Công việc quy tắc nghiệp vụ',
  'Business Rule Task': 'Công việc quy tắc nghiệp vụ',
  'Call activity': 'Gọi quy trình',
  'Call Activity': 'Gọi quy trình',
  'Sub-process': 'Quy trình con',
  'Sub-process (collapsed)': 'Quy trình con (thu gọn)',
  'Sub-process (expanded)': 'Quy trình con (mở rộng)',
  'Collapsed Sub Process': 'Quy trình con (thu gọn)',
  'Expanded Sub Process': 'Quy trình con (mở rộng)',
  'Event sub-process': 'Quy trình con sự kiện',
  'Event Sub Process': 'Quy trình con sự kiện',
  'Ad-hoc sub-process': 'Quy trình con tùy biến (ad-hoc)',
  'Ad-hoc sub-process (collapsed)': 'Quy trình con tùy biến (thu gọn)',
  'Ad-hoc sub-process (expanded)': 'Quy trình con tùy biến (mở rộng)',
  'Collapsed Ad Hoc Sub Process': 'Quy trình con tùy biến (thu gọn)',
  'Expanded Ad Hoc Sub Process': 'Quy trình con tùy biến (mở rộng)',
  'Transaction': 'Giao dịch',
  'Gateway': 'Cổng',
  'Exclusive gateway': 'Cổng loại trừ (XOR)',
  'Exclusive Gateway': 'Cổng loại trừ (XOR)',
  'Parallel gateway': 'Cổng song song (AND)',
  'Parallel Gateway': 'Cổng song song (AND)',
  'Inclusive gateway': 'Cổng bao hàm (OR)',
  'Inclusive Gateway': 'Cổng bao hàm (OR)',
  'Complex gateway': 'Cổng phức hợp',
  'Complex Gateway': 'Cổng phức hợp',
  'Event-based gateway': 'Cổng theo sự kiện',
  'Event Based Gateway': 'Cổng theo sự kiện',
  'Event based instantiating Gateway': 'Cổng theo sự kiện khởi tạo',
  'Parallel Event based instantiating Gateway': 'Cổng song song theo sự kiện khởi tạo',
  'Sequence flow': 'Luồng tuần tự',
  'Sequence Flow': 'Luồng tuần tự',
  'Default flow': 'Luồng mặc định',
  'Default Flow': 'Luồng mặc định',
  'Conditional flow': 'Luồng có điều kiện',
  'Conditional Flow': 'Luồng có điều kiện',
  'Message Flow': 'Luồng thông điệp',
  'Association': 'Liên kết',
  'Data object reference': 'Đối tượng dữ liệu',
  'Data Object Reference': 'Đối tượng dữ liệu',
  'Data store reference': 'Kho dữ liệu',
  'Data Store Reference': 'Kho dữ liệu',
  'Data Input': 'Dữ liệu vào',
  'Data Output': 'Dữ liệu ra',
  'Data Input Association': 'Liên kết dữ liệu vào',
  'Data Output Association': 'Liên kết dữ liệu ra',
  'Participant': 'Bên tham gia (pool)',
  'Expanded pool/participant': 'Bên tham gia (pool, mở rộng)',
  'Empty pool/participant': 'Bên tham gia (pool, rỗng)',
  'Empty pool/participant (removes content)': 'Bên tham gia (pool, rỗng — xóa nội dung)',
  'Lane': 'Làn',
  'Group': 'Nhóm',
  'Text Annotation': 'Chú thích',
  'Process': 'Quy trình',
  'Collaboration': 'Cộng tác'
};

var PALETTE_AND_MENUS = {
  'Activate hand tool': 'Công cụ kéo khung nhìn',
  'Activate lasso tool': 'Công cụ chọn vùng',
  'Activate create/remove space tool': 'Công cụ thêm/bớt khoảng trống',
  'Activate global connect tool': 'Công cụ nối phần tử',
  'Create start event': 'Tạo sự kiện bắt đầu',
  'Create timer start event': 'Tạo sự kiện bắt đầu hẹn giờ',
  'Create intermediate/boundary event': 'Tạo sự kiện trung gian/biên',
  'Create timer intermediate/boundary event': 'Tạo sự kiện hẹn giờ trung gian/biên (thả lên một công việc để gắn biên)',
  'Create end event': 'Tạo sự kiện kết thúc',
  'Create gateway': 'Tạo cổng',
  'Create exclusive gateway': 'Tạo cổng loại trừ (XOR)',
  'Create parallel gateway': 'Tạo cổng song song (AND)',
  'Create inclusive gateway': 'Tạo cổng bao hàm (OR)',
  'Create event-based gateway': 'Tạo cổng theo sự kiện',
  'Create task': 'Tạo công việc',
  'Create user task': 'Tạo công việc người dùng',
  'Create manual task': 'Tạo công việc thủ công',
  'Create script task': 'Tạo công việc kịch bản',
  'Create expanded sub-process': 'Tạo quy trình con (mở rộng)',
  'Create call activity': 'Tạo bước gọi quy trình',
  'Create data object reference': 'Tạo đối tượng dữ liệu',
  'Create data store reference': 'Tạo kho dữ liệu',
  'Create pool/participant': 'Tạo bên tham gia (pool)',
  'Create text annotation': 'Tạo chú thích',
  'Create group': 'Tạo nhóm',
  'Append end event': 'Nối tiếp sự kiện kết thúc',
  'Append gateway': 'Nối tiếp cổng',
  'Append task': 'Nối tiếp công việc',
  'Append intermediate/boundary event': 'Nối tiếp sự kiện trung gian/biên',
  'Append receive task': 'Nối tiếp công việc nhận',
  'Append message intermediate catch event': 'Nối tiếp sự kiện trung gian chờ thông điệp',
  'Append timer intermediate catch event': 'Nối tiếp sự kiện trung gian chờ hẹn giờ',
  'Append conditional intermediate catch event': 'Nối tiếp sự kiện trung gian chờ điều kiện',
  'Append signal intermediate catch event': 'Nối tiếp sự kiện trung gian chờ tín hiệu',
  'Append compensation activity': 'Nối tiếp hoạt động bù trừ',
  'Add text annotation': 'Thêm chú thích',
  'Add lane above': 'Thêm làn phía trên',
  'Add lane below': 'Thêm làn phía dưới',
  'Divide into two lanes': 'Chia thành hai làn',
  'Divide into three lanes': 'Chia thành ba làn',
  'Change element': 'Đổi loại phần tử',
  'Delete': 'Xóa',
  'Connect to other element': 'Nối với phần tử khác',
  'Connect using association': 'Nối bằng liên kết',
  'Connect using data input association': 'Nối bằng liên kết dữ liệu vào',
  'Align elements': 'Căn chỉnh các phần tử',
  'Align elements ': 'Căn chỉnh các phần tử ',
  'Distribute elements horizontally': 'Dàn đều theo chiều ngang',
  'Distribute elements vertically': 'Dàn đều theo chiều dọc',
  'Search in diagram': 'Tìm trong sơ đồ',
  'Open {element}': 'Mở {element}',
  'Toggle non-interrupting': 'Bật/tắt không ngắt',
  'Loop': 'Lặp',
  'Parallel multi-instance': 'Đa thể hiện song song',
  'Sequential multi-instance': 'Đa thể hiện tuần tự',
  'Collection': 'Tập hợp',
  'Participant multiplicity': 'Nhiều bên tham gia cùng loại',
  ' + shift + ': ' + shift + ',
  'flow elements must be children of pools/participants': 'Các phần tử của luồng phải nằm trong một bên tham gia (pool)',
  'Data object must be placed within a pool/participant.': 'Đối tượng dữ liệu phải đặt trong một bên tham gia (pool).'
};

var PROPERTIES_PANEL = {
  'Select an element to edit its properties.': 'Chọn một phần tử để sửa thuộc tính.',
  'Multiple elements are selected. Select a single element to edit its properties.':
    'Đang chọn nhiều phần tử. Hãy chọn một phần tử để sửa thuộc tính.',
  'General': 'Chung',
  'Name': 'Tên',
  'ID': 'Mã (ID)',
  'ID must be unique.': 'Mã phải là duy nhất.',
  'ID must not be empty.': 'Mã không được để trống.',
  'ID must not contain spaces.': 'Mã không được chứa khoảng trắng.',
  'ID must be a valid QName.': 'Mã phải là tên XML hợp lệ (chữ không dấu, số, _ hoặc -, không bắt đầu bằng số).',
  'ID must not contain prefix.': 'Mã không được có tiền tố (dạng tiền_tố:mã).',
  'Process name': 'Tên quy trình',
  'Process ID': 'Mã quy trình',
  'Participant Name': 'Tên bên tham gia',
  'Participant ID': 'Mã bên tham gia',
  'Executable': 'Có thể thực thi',
  'Documentation': 'Tài liệu mô tả',
  'Element documentation': 'Mô tả phần tử',
  'Process documentation': 'Mô tả quy trình',
  'Open documentation': 'Mở tài liệu',
  'Documentation: Timer events': 'Tài liệu: sự kiện hẹn giờ',
  'Type': 'Loại',
  'Value': 'Giá trị',
  'Code': 'Mã',
  'Timer': 'Hẹn giờ',
  'Date': 'Ngày',
  'Duration': 'Khoảng thời gian',
  'Cycle': 'Chu kỳ',
  'A specific point in time defined as ISO 8601 combined date and time representation.':
    'Một thời điểm cụ thể, viết theo ISO 8601 (ngày và giờ).',
  'A time duration defined as ISO 8601 durations format.': 'Một khoảng thời gian, viết theo ISO 8601 (duration).',
  'A cycle defined as ISO 8601 repeating intervals format.': 'Một chu kỳ, viết theo ISO 8601 (khoảng lặp lại).',
  'UTC time': 'Giờ UTC',
  'UTC plus 2 hours zone offset': 'Giờ UTC cộng 2 giờ',
  '15 seconds': '15 giây',
  '1 hour and 30 minutes': '1 giờ 30 phút',
  '14 days': '14 ngày',
  'every 10 seconds, up to 5 times': '10 giây một lần, tối đa 5 lần',
  'every day, infinitely': 'hằng ngày, không giới hạn',
  'Message': 'Thông điệp',
  'Signal': 'Tín hiệu',
  'Error': 'Lỗi',
  'Escalation': 'Leo thang',
  'Link': 'Nối',
  'Compensation': 'Bù trừ',
  'Global message reference': 'Thông điệp dùng chung',
  'Global signal reference': 'Tín hiệu dùng chung',
  'Global error reference': 'Lỗi dùng chung',
  'Global escalation reference': 'Leo thang dùng chung',
  'Activity reference': 'Hoạt động được tham chiếu',
  'Wait for completion': 'Chờ hoàn thành',
  'Multi-instance': 'Đa thể hiện',
  'Loop cardinality': 'Số thể hiện',
  'Completion': 'Hoàn thành',
  'Completion condition': 'Điều kiện hoàn thành',
  'Cancel remaining instances': 'Hủy các thể hiện còn lại',
  'Create new ...': 'Tạo mới…',
  '<none>': '<không có>',
  '<empty>': '<trống>',
  'Toggle section': 'Mở/đóng mục',
  'Section contains edits': 'Mục có thay đổi',
  'Section contains an error': 'Mục có lỗi',
  'Create': 'Thêm',
  'Create new list item': 'Thêm mục mới',
  'Toggle list item': 'Mở/đóng mục',
  'Delete item': 'Xóa mục',
  'List contains {numOfItems} item': 'Danh sách có {numOfItems} mục',
  'List contains {numOfItems} items': 'Danh sách có {numOfItems} mục',
  'Open pop-up editor': 'Mở trình soạn thảo riêng',
  'Opened in editor': 'Đang mở trong trình soạn thảo',
  'JSON contains errors': 'JSON có lỗi',
  'FEEL expression is mandatory': 'Bắt buộc dùng biểu thức FEEL',
  'Click to set a dynamic value with FEEL expression': 'Bấm để đặt giá trị động bằng biểu thức FEEL',
  'Click to remove dynamic value with FEEL expression': 'Bấm để bỏ giá trị động bằng biểu thức FEEL',
  'Unparsable FEEL expression.': 'Biểu thức FEEL không đọc được.'
};

// giaoviec's own entries (properties/settings.js, properties/form-fields.js).
var GIAOVIEC = {
  'Giaoviec': 'Giao việc',
  'Role': 'Vai trò',
  'Officer': 'Chuyên viên',
  'Leader': 'Lãnh đạo',
  'Clerk': 'Văn thư',
  'Administrator': 'Quản trị',
  'Inspector': 'Thanh tra',
  'Party (whose unit)': 'Bên thực hiện (đơn vị nào)',
  'Own unit (the instance\'s unit)': 'Đơn vị thực hiện (đơn vị của phiên bản quy trình)',
  'Assigning unit': 'Đơn vị giao việc',
  'Parent unit': 'Đơn vị cấp trên',
  'Lead unit': 'Đơn vị chủ trì',
  'Deadline: timeframe': 'Hạn xử lý: thời gian',
  'As plans write it, e.g. "Quý I", "trước ngày 15 hằng tháng"':
    'Ghi như trong kế hoạch, ví dụ "Quý I", "trước ngày 15 hằng tháng"',
  'Deadline: working days': 'Hạn xử lý: số ngày làm việc',
  'Number of working days from the step\'s start': 'Số ngày làm việc kể từ khi bước này bắt đầu',
  'Enter a whole number of days greater than 0': 'Nhập số ngày là số nguyên lớn hơn 0',
  'Choose either a timeframe or working days, not both': 'Chỉ chọn một: thời gian hoặc số ngày làm việc',
  'Remind before (days)': 'Đôn đốc trước hạn (số ngày)',
  'Days before the deadline, comma-separated, e.g. 3,1': 'Số ngày trước hạn, cách nhau bởi dấu phẩy, ví dụ 3,1',
  'Enter days separated by commas, e.g. 3,1': 'Nhập các số ngày cách nhau bởi dấu phẩy, ví dụ 3,1',
  'Escalate after (days late)': 'Leo thang sau (số ngày quá hạn)',
  'Enter a whole number of days (0 or more)': 'Nhập số ngày là số nguyên (từ 0 trở lên)',
  'Form fields': 'Trường biểu mẫu',
  'Field name': 'Tên trường (mã)',
  'Use letters without diacritics, digits and _, not starting with a digit':
    'Chỉ dùng chữ không dấu, chữ số và dấu _, không bắt đầu bằng chữ số',
  'Another field already has this name': 'Đã có trường khác mang tên này',
  'Label': 'Nhãn',
  'Text': 'Văn bản',
  'Choice': 'Lựa chọn',
  'Yes/no': 'Có/không',
  'Integer': 'Số nguyên',
  'Decimal': 'Số thập phân',
  'Date and time': 'Ngày giờ',
  'List': 'Danh sách',
  'Object': 'Đối tượng',
  'Required': 'Bắt buộc',
  'Values': 'Các giá trị',
  'For a choice or a list: the allowed values, separated by spaces':
    'Với lựa chọn hoặc danh sách: các giá trị được phép, cách nhau bởi dấu cách',
  'Maximum length': 'Độ dài tối đa',
  'Enter a whole number greater than 0': 'Nhập số nguyên lớn hơn 0'
};

export default Object.assign({}, events(), ELEMENTS, PALETTE_AND_MENUS, PROPERTIES_PANEL, GIAOVIEC);
